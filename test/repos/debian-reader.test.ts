import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { buildsOn, reduceBuildDependencies } from '../../src/repos/debian-reader.ts';
import { readFingerprint, readRepository, readSnapshot, type DebianSnapshot } from '../../src/repos/read-repository.ts';

const data = fileURLToPath(new URL('../../../shared/data/debian/', import.meta.url));
const layers = ['bookworm', 'bookworm-updates', 'bookworm-security'].map((l) => data + l);

let bookworm: DebianSnapshot;

test('reads all of bookworm Packages and Sources', async () => {
  const started = Date.now();
  bookworm = await readRepository(layers[0], 'deb');
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`bookworm Packages+Sources: ${Date.now() - started} ms, peak RSS ${rss} MB`);
  assert.is(bookworm.binaries.length, 63440);
  assert.is(bookworm.sources.length, 34335);
  assert.ok(bookworm.essential.includes('dpkg') && bookworm.essential.includes('bash'));
});

test('binary fields: versioned Provides, Pre-Depends, Source with version, Multi-Arch', () => {
  const perl = bookworm.binaries.find((b) => b.name === 'perl-base')!;
  assert.is(perl.version, '5.36.0-7+deb12u3');
  assert.is(perl.release, '');
  assert.is(perl.essential, true);
  assert.ok(perl.provides.some((p) => 'name' in p && p.name === 'libscalar-list-utils-perl' && p.relation === '=' && p.evr === '1:1.62'));
  const libc = bookworm.binaries.find((b) => b.name === 'libc6' && b.arch === 'amd64')!;
  assert.is(libc.multiArch, 'same');
  assert.is(libc.sourceName, 'glibc');
  assert.ok(libc.requires.some((d) => 'name' in d && d.name === 'libgcc-s1'));
  const epoch = bookworm.binaries.find((b) => b.epoch > 0)!;
  assert.not.match(epoch.version, /:/);
});

test('sources: profiles and architecture restrictions reduce per arch', () => {
  const aardvark = bookworm.sources.find((s) => s.name === 'aardvark-dns')!;
  const names = (deps: unknown[]) => deps.map((d) => (d as { name: string }).name);
  const full = reduceBuildDependencies(aardvark, { arch: 'amd64' });
  assert.ok(names(full.buildRequires).includes('rustc'));
  assert.equal(full.buildRequires.find((d) => 'name' in d && d.name === 'cargo'), { name: 'cargo', qualifier: 'native' });
  const nocheck = reduceBuildDependencies(aardvark, { arch: 'amd64', profiles: ['nocheck'] });
  assert.is(nocheck.buildRequires.length, full.buildRequires.length - 3);
  assert.is(nocheck.version, '1.4.0-3');

  const aalib = bookworm.sources.find((s) => s.name === 'aalib')!;
  assert.ok(names(reduceBuildDependencies(aalib, { arch: 'amd64' }).buildRequires).includes('libgpm-dev'));
  assert.not.ok(names(reduceBuildDependencies(aalib, { arch: 'hurd-i386' }).buildRequires).includes('libgpm-dev'));
  assert.ok(buildsOn(aalib, 'amd64'));
  const onlyIndep = bookworm.sources.find((s) => s.architectures.join(' ') === 'all')!;
  assert.ok(buildsOn(onlyIndep, 'arm64'));
  const linuxOnly = bookworm.sources.find((s) => s.architectures.join(' ') === 'linux-any')!;
  assert.ok(buildsOn(linuxOnly, 'armhf'));
  assert.not.ok(buildsOn(linuxOnly, 'hurd-i386'));
  assert.is(bookworm.sources.filter((s) => s.extraSourceOnly).length, 36);
});

test('overlays replace older versions; the fingerprint matches the cheap one', async () => {
  const stacked = await readSnapshot(layers, 'deb');
  const byName = new Map(stacked.binaries.map((b) => [`${b.name}:${b.arch}`, b]));
  assert.is(stacked.binaries.length, byName.size);
  const openssl = byName.get('openssl:amd64')!;
  const base = bookworm.binaries.find((b) => b.name === 'openssl' && b.arch === 'amd64')!;
  assert.ok(openssl.version !== base.version, 'security overlay carries a newer openssl');
  console.log(`overlays: ${stacked.binaries.length} binaries, ${stacked.sources.length} sources, replaced ${JSON.stringify(stacked.replaced)}`);
  // 63,440 + 38 + 3,006 binaries read, 63,666 left: the overlays replaced 2,818 older (name, arch) entries.
  assert.equal(stacked.replaced, { binaries: 2818, sources: 742 });
  // Extra-Source-Only entries in the overlays (alabaster 0.7.12-1 in security) shadow no buildable source.
  const buildable = (sources: typeof bookworm.sources) => new Set(sources.filter((s) => !s.extraSourceOnly).map((s) => s.name));
  const stackedBuildable = buildable(stacked.sources);
  assert.equal([...buildable(bookworm.sources)].filter((n) => !stackedBuildable.has(n)), []);
  assert.is(stacked.fingerprint.digest, (await readFingerprint(layers, 'deb')).digest);
  assert.is.not(stacked.fingerprint.digest, bookworm.fingerprint.digest);
  assert.is(bookworm.fingerprint.digest, (await readFingerprint(layers[0], 'deb')).digest);
});

test.run();
