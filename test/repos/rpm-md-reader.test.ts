import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { groupPackages, parseComps } from '../../src/repos/comps.ts';
import { readRepositoryFile } from '../../src/repos/open-repository-file.ts';
import { readFingerprint, readRepository, readSnapshot } from '../../src/repos/read-repository.ts';
import { parseSourceRpm } from '../../src/repos/rpm-md-reader.ts';

const data = fileURLToPath(new URL('../../../shared/data/rpm-md/', import.meta.url));

test('CentOS Stream 9 BaseOS: primary, filelists joined by pkgid, comps', async () => {
  const repo = await readRepository(data + 'centos-stream9-baseos-2022', 'rpm');
  assert.is(repo.binaries.length, 1125);
  assert.is(repo.sources.length, 0);
  assert.is(repo.groups.length, 34);
  const bash = repo.binaries.find((b) => b.name === 'bash')!;
  assert.is(bash.sourceName, 'bash');
  assert.match(bash.sourceEvr, /^5\.1\.8-\d+\.el9$/);
  assert.ok(bash.provides.some((p) => 'name' in p && p.name === '/bin/sh'));
  assert.ok(bash.files.includes('/usr/bin/bash'));
  // rpmlib() requirements are rpm's own business and never reach the resolver.
  assert.not.ok(repo.binaries.some((b) => b.requires.some((r) => 'name' in r && r.name.startsWith('rpmlib('))));
  const rich = repo.binaries.flatMap((b) => b.requires.concat(b.recommends, b.supplements)).filter((d) => 'op' in d);
  assert.ok(rich.length > 0, 'BaseOS has rich dependencies');
  const evrs = repo.binaries.flatMap((b) => b.requires).filter((d) => 'evr' in d && d.evr);
  assert.ok(evrs.every((d) => !('evr' in d) || !d.evr!.startsWith('0:')), 'epoch 0 is left out');
  // filelists added paths that requirements name but primary did not carry.
  const fromFilelists = await readRepository(data + 'centos-stream9-baseos-2022', 'rpm', { filelists: false });
  const count = (bins: typeof repo.binaries) => bins.reduce((n, b) => n + b.files.length, 0);
  assert.ok(count(repo.binaries) > count(fromFilelists.binaries));
  assert.is(repo.fingerprint.digest, (await readFingerprint(data + 'centos-stream9-baseos-2022', 'rpm')).digest);
  assert.equal((repo.fingerprint.layers[0] as { revision: string }).revision, '1644263915');
});

test('openSUSE 11.0 update: 164 src packages, their BuildRequires without rpmlib()', async () => {
  // Its repomd lists filelists that the sample does not contain.
  const repo = await readRepository(data + 'opensuse-11.0-update', 'rpm', { filelists: false });
  assert.is(repo.sources.length, 164);
  assert.is(repo.binaries.length, 2430 - 164);
  // 1,494 requires entries, one of them rpmlib(...) in each src package; 14 need nothing else.
  assert.is(repo.sources.reduce((n, s) => n + s.buildRequires.length, 0), 1494 - 164);
  assert.is(repo.sources.filter((s) => s.buildRequires.length > 0).length, 150);
  const autoyast = repo.sources.find((s) => s.name === 'autoyast2')!;
  assert.equal([autoyast.version, autoyast.release], ['2.16.19', '0.1']);
  assert.ok(autoyast.buildRequires.some((d) => 'name' in d && d.name === 'libxslt'));
});

test('rpmsphere: zstd-compressed primary and filelists', async () => {
  const repo = await readRepository(data + 'rpmsphere-noarch-fedora', 'rpm');
  assert.is(repo.binaries.length, 1055);
  assert.ok(repo.binaries.every((b) => b.arch === 'noarch'));
});

test('UnitedRPMs SRPMS: every package is a source', async () => {
  const repo = await readRepository(data + 'unitedrpms-fedora24-srpms', 'rpm');
  assert.is(repo.sources.length, 82);
  assert.is(repo.binaries.length, 0);
  assert.is(repo.sources.filter((s) => s.buildRequires.length > 0).length, 74);
  assert.is(repo.sources.reduce((n, s) => n + s.buildRequires.length, 0), 1150);
});

test('comps: CloudCoffer group from repomd and Fedora comps files', async () => {
  const repo = await readRepository(data + 'centos7-cloudcoffer', 'rpm');
  assert.is(repo.binaries.length, 509);
  assert.is(repo.groups.length, 1);
  // 181 packagereq lines, two of them inside XML comments.
  assert.is(repo.groups[0].packages.length, 179);
  const { value: fedora } = await readRepositoryFile(data + 'fedora-comps', 'fedora_comps.xml', parseComps);
  assert.is(fedora.length, 227);
  assert.is(fedora.reduce((n, g) => n + g.packages.length, 0), 4435);
  const { value: f21 } = await readRepositoryFile(data + 'fedora-comps', 'f21-rawhide-comps.xml', parseComps);
  assert.is(f21.length, 161);
  const buildroot = groupPackages(f21, 'buildsys-build')!;
  assert.ok(buildroot.includes('rpm-build') && buildroot.includes('gcc-c++'), buildroot.join(' '));
  const core = f21.find((g) => g.id === 'core')!;
  assert.is(core.name, 'Core');
  assert.ok(f21.some((g) => g.packages.some((p) => p.type === 'conditional' && p.requires)));
  assert.is(groupPackages(f21, 'no-such-group'), undefined);
});

test('snapshot of two rpm layers keeps all versions but drops exact duplicates', async () => {
  const layers = [data + 'rpmsphere-noarch-fedora/older-gz-2025-02', data + 'rpmsphere-noarch-fedora'];
  const stacked = await readSnapshot(layers, 'rpm', { filelists: false });
  const nevras = new Set(stacked.binaries.map((b) => `${b.name}-${b.epoch}:${b.version}-${b.release}.${b.arch}`));
  assert.is(nevras.size, stacked.binaries.length);
  assert.is(stacked.binaries.length + stacked.replaced.binaries, 1056 + 1055);
  assert.ok(stacked.replaced.binaries > 900, `${stacked.replaced.binaries} builds are in both`);
});

test('source rpm names', () => {
  assert.equal(parseSourceRpm('python3.11-3.11.2-2.el9.src.rpm'), { name: 'python3.11', evr: '3.11.2-2.el9' });
  assert.is(parseSourceRpm('garbage.rpm'), undefined);
});

test.run();
