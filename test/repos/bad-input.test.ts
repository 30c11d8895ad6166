import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { RippleError } from '../../src/errors.ts';
import { readStanzas } from '../../src/repos/debian-reader.ts';
import { readRepositoryFile } from '../../src/repos/open-repository-file.ts';
import { readRepository } from '../../src/repos/read-repository.ts';

const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ripple-repos-'));

/** Asserts that `promise` rejects with a RippleError whose message matches every pattern. */
async function rejects(promise: Promise<unknown>, ...patterns: RegExp[]) {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, RippleError);
    for (const p of patterns) assert.match((error as Error).message, p);
    return;
  }
  assert.unreachable(`expected a rejection matching ${patterns.join(' ')}`);
}

const drain = async (chunks: AsyncIterable<Buffer>) => { for await (const _ of chunks) { /* read */ } };
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Writes an rpm-md repository whose primary is `primary` (gzipped), returning its location. */
function rpmRepo(name: string, primary: string, options: { href?: string; checksum?: string } = {}): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'repodata'), { recursive: true });
  const gz = gzipSync(primary);
  writeFileSync(join(root, 'repodata/primary.xml.gz'), gz);
  writeFileSync(join(root, 'repodata/repomd.xml'), `<?xml version="1.0"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>7</revision>
<data type="primary"><checksum type="sha256">${options.checksum ?? sha256(gz)}</checksum>
<location href="${options.href ?? 'repodata/primary.xml.gz'}"/></data></repomd>`);
  return root;
}

const pkg = (requires: string) => `<?xml version="1.0"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>demo</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>
<format><rpm:requires>${requires}</rpm:requires></format></package></metadata>`;

test('truncated .gz and .xz are errors naming the file, never short reads', async () => {
  const gz = readFileSync(join(shared, 'rpm-md/centos7-cloudcoffer/repodata/9c34c4b23ebd3bbdc56be01042da8099e28098b1f2df99ff04a8f209e02a35f3-primary.xml.gz'));
  writeFileSync(join(dir, 'cut.xml.gz'), gz.subarray(0, gz.length >> 1));
  await rejects(readRepositoryFile(dir, 'cut.xml.gz', drain), /cut\.xml\.gz/, /unexpected end of file/);
  const xz = readFileSync(join(shared, 'debian/bookworm-security/Packages.xz'));
  writeFileSync(join(dir, 'Packages.xz'), xz.subarray(0, 100_000));
  await rejects(readRepositoryFile(dir, 'Packages.xz', (c, f) => readStanzas(c, f, () => undefined)), /Packages\.xz/, /corrupt or truncated xz/);
  writeFileSync(join(dir, 'garbage.zst'), 'not zstd at all');
  await rejects(readRepositoryFile(dir, 'garbage.zst', drain), /garbage\.zst/, /zstd/);
  await rejects(readRepositoryFile(join(shared, 'rpm-md/opensuse-leap15.1-obs-zchunk'), 'primary.xml.zck', drain), /unsupported compression '\.zck'/);
});

test('malformed XML reports line and column', async () => {
  const root = rpmRepo('badxml', pkg('<rpm:entry name="a"/>').replace('</format>', '</formt>'));
  await rejects(readRepository(root, 'rpm'), /primary\.xml\.gz:4:\d+: malformed XML/);
});

test('bad rich dependency names the package, field and text', async () => {
  const root = rpmRepo('badrich', pkg('<rpm:entry name="(a and b or c)"/>'));
  await rejects(readRepository(root, 'rpm'), /:4:\d+ \(field requires\)/, /package 'demo'/, /\(a and b or c\)/);
});

test('repomd pointing nowhere and checksum mismatch', async () => {
  await rejects(readRepository(rpmRepo('nohref', pkg(''), { href: 'repodata/gone-primary.xml.gz' }), 'rpm'), /repodata\/gone-primary\.xml\.gz/, /does not exist/);
  await rejects(readRepository(rpmRepo('badsum', pkg(''), { checksum: 'ab'.repeat(32) }), 'rpm'), /sha256 checksum mismatch/, /primary\.xml\.gz/);
  await rejects(readRepository(join(dir, 'no-such-repo'), 'rpm'), /repomd\.xml/);
});

test('a malformed stanza and a bad relation give line and field', async () => {
  const root = join(dir, 'deb');
  mkdirSync(root);
  writeFileSync(join(root, 'Release'), 'Date: Sat, 01 Jan 2000 00:00:00 UTC\nSuite: test\n');
  writeFileSync(join(root, 'Sources'), 'Package: s\nVersion: 1\nArchitecture: any\n');
  writeFileSync(join(root, 'Packages'), 'Package: a\nVersion: 1\nArchitecture: all\n\nPackage: b\nthis line is wrong\n');
  await rejects(readRepository(root, 'deb'), /Packages:6: malformed line/);
  writeFileSync(join(root, 'Packages'), 'Package: a\nVersion: 1\nArchitecture: all\nDepends: c,\n d (>= )\n');
  await rejects(readRepository(root, 'deb'), /Packages:4 \(field Depends\): cannot parse relation 'd \(>= \)'/);
  writeFileSync(join(root, 'Packages'), 'Package: a\nArchitecture: all\n');
  await rejects(readRepository(root, 'deb'), /Packages:1 \(field Version\)/);
  writeFileSync(join(root, 'Packages'), 'Package: a\nVersion: 1\nArchitecture: all\nDepends: c\n');
  const ok = await readRepository(root, 'deb');
  assert.equal(ok.binaries[0].requires, [{ name: 'c' }]);
});

test('reads over HTTP from a local server, 404 is a named error', async () => {
  const base = join(shared, 'rpm-md/unitedrpms-fedora24-srpms');
  const server: Server = createServer((req, res) => {
    const path = join(base, decodeURIComponent(req.url!.slice(1)));
    const stream = createReadStream(path);
    stream.on('error', () => { res.statusCode = 404; res.end(); });
    stream.on('open', () => stream.pipe(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const repo = await readRepository(url, 'rpm');
    assert.is(repo.sources.length, 82);
    await rejects(readRepository(`${url}/missing`, 'rpm'), /http:\/\/127\.0\.0\.1:\d+\/missing\/repodata\/repomd\.xml/, /HTTP 404/);
  } finally {
    server.close();
  }
});

test.after(() => { if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });
test.run();
