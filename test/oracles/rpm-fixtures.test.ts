import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';

const run = promisify(execFile);

function primaryXml(repo: string): string {
  const repomd = readFileSync(join(repo, 'repodata', 'repomd.xml'), 'utf8');
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)?.[1];
  assert.ok(href, `${repo}: repomd.xml names primary data`);
  return gunzipSync(readFileSync(join(repo, href))).toString('utf8');
}

const rpms = (repo: string) => readdirSync(join(repo, 'Packages')).sort();

test('the three repositories are built with primary, filelists and comps data', async () => {
  const repos = await fixtureRepositories();
  for (const repo of Object.values(repos)) {
    const repomd = readFileSync(join(repo, 'repodata', 'repomd.xml'), 'utf8');
    for (const type of ['primary', 'filelists', 'group']) assert.ok(repomd.includes(`<data type="${type}">`), `${repo}: ${type}`);
  }
  assert.ok(rpms(repos.v1).includes('libbar-tools-1.9-3.x86_64.rpm'));
  assert.ok(rpms(repos.v1).includes('legacy-1.0-1.src.rpm'));
  assert.ok(rpms(repos.v2).includes('bar-tools-2.0-1.x86_64.rpm'));
  assert.ok(rpms(repos.v2).includes('zap-0.1-1.src.rpm'));
  assert.not.ok(rpms(repos.v2).some((f) => f.startsWith('legacy-') || f.startsWith('libbar-tools-')));
  assert.equal(rpms(repos.updates), [
    'bar-tools-2.0-1.x86_64.rpm', 'coreutils-9.3-2.src.rpm', 'coreutils-9.3-2.x86_64.rpm',
    'httpd-2.4.58-1.src.rpm', 'httpd-2.4.58-1.x86_64.rpm', 'libbar-2.0-1.src.rpm', 'libbar-2.0-1.x86_64.rpm',
    'libbar-devel-2.0-1.x86_64.rpm', 'nginx-1.25.0-1.src.rpm', 'nginx-1.25.0-1.x86_64.rpm',
    'zap-0.1-1.noarch.rpm', 'zap-0.1-1.src.rpm',
  ]);
});

test('a second call reuses the cached build', async () => {
  const first = await fixtureRepositories();
  const started = Date.now();
  const second = await fixtureRepositories();
  assert.equal(second, first);
  assert.ok(Date.now() - started < 1000);
  assert.ok(existsSync(join(first.v1, 'repodata', 'repomd.xml')));
});

test('source packages carry BuildRequires, rich ones included, as arch=src requires', async () => {
  const primary = primaryXml((await fixtureRepositories()).v1);
  const richdeps = /<name>richdeps<\/name>\s*<arch>src<\/arch>[\s\S]*?<\/package>/.exec(primary)?.[0] ?? '';
  for (const dep of ['(c-compiler with clang)', '(c-compiler without clang)', '(perl-Foo if perl else gzip)', '(webserver or xz)']) {
    assert.ok(richdeps.includes(`<rpm:entry name="${dep}"/>`), dep);
  }
  assert.match(richdeps, /<rpm:conflicts>\s*<rpm:entry name="\(oldtool unless newtool\)"\/>/);
  const relops = /<name>relops<\/name>\s*<arch>src<\/arch>[\s\S]*?<\/package>/.exec(primary)?.[0] ?? '';
  for (const flags of ['LT', 'LE', 'EQ', 'GE', 'GT']) assert.ok(relops.includes(`flags="${flags}"`), flags);
  assert.ok(relops.includes('<rpm:entry name="perl" flags="GE" epoch="4" ver="5.30"/>'));
});

test('rpm itself reads the dependencies the specs declare', async () => {
  const repo = (await fixtureRepositories()).v2;
  const { stdout } = await run('rpm', ['-qp', '--provides', '--obsoletes', join(repo, 'Packages', 'bar-tools-2.0-1.x86_64.rpm')]);
  assert.ok(stdout.includes('libbar-tools = 2.0-1'));
  assert.ok(stdout.includes('libbar-tools < 2.0-1'));
  const nginx = await run('rpm', ['-qp', '--qf', '%{EPOCH}:%{VERSION} [%{CONFLICTS} ]', join(repo, 'Packages', 'nginx-1.25.0-1.x86_64.rpm')]);
  assert.is(nginx.stdout.trim(), '1:1.25.0 httpd');
});

test.run();
