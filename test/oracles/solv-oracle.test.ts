import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { runSolvOracle, type OracleResult } from './solv-oracle.ts';

const build = { group: 'build' };
const byName = (results: OracleResult[]) => new Map(results.map((r) => [r.name, r]));
const unresolved = (results: OracleResult[]) => results.filter((r) => !r.resolved).map((r) => r.name);

test('v1: every source resolves except nosuch, clash and newthing', async () => {
  const { v1 } = await fixtureRepositories();
  const results = await runSolvOracle({ repos: [v1], mode: 'sources', base: build });
  assert.is(results.length, 32);
  assert.equal(unresolved(results), ['clash', 'newthing', 'nosuch']);
  const r = byName(results);
  assert.equal(r.get('nosuch')!.problems, ['nothing provides requested libmissing-devel >= 1.0']);
  assert.equal(r.get('clash')!.problems, ['package nginx-1.24.0-1.x86_64 conflicts with httpd provided by httpd-2.4.57-1.x86_64']);
  assert.equal(r.get('newthing')!.problems, ['nothing provides requested pkgconfig(bar) >= 2.0']);
});

test('v1 buildroots: build group, file requires, epochs, rich deps and provider choices', async () => {
  const { v1 } = await fixtureRepositories();
  const r = byName(await runSolvOracle({ repos: [v1], mode: 'sources', base: build }));
  const group = ['bash-5.2.15-3.x86_64', 'coreutils-9.1-1.x86_64', 'filesystem-3.18-1.noarch', 'glibc-2.37-4.x86_64', 'rpm-build-4.18.1-1.x86_64', 'sed-4.9-1.x86_64'];
  // The optional perl in comps stays out; rpm-build's (gzip or xz) picks gzip when nothing else asks for xz.
  assert.equal(r.get('legacy')!.buildroot, [...group, 'gcc-12.2.1-1.x86_64', 'glibc-devel-2.37-4.x86_64', 'gzip-1.12-1.x86_64'].sort());
  // /usr/bin/xz is in primary.xml, /usr/lib64/pkgconfig/bar.pc only in filelists.xml, /usr/bin/pkg-config a file libbar-devel requires.
  assert.equal(r.get('filereq')!.buildroot, [...group, 'libbar-1.9-3.x86_64', 'libbar-devel-1.9-3.x86_64', 'pkgconf-1.8.0-4.x86_64', 'xz-5.4.1-1.x86_64'].sort());
  assert.ok(r.get('relops')!.buildroot.includes('perl-4:5.36.0-1.x86_64'));
  const rich = r.get('richdeps')!.buildroot;
  for (const p of ['clang-16.0.6-1.x86_64', 'gcc-12.2.1-1.x86_64', 'gzip-1.12-1.x86_64', 'libbar-devel-1.9-3.x86_64']) assert.ok(rich.includes(p), p);
  assert.not.ok(rich.some((p) => p.startsWith('perl')), '(perl-Foo if perl else gzip) takes the else branch');
  assert.ok(r.get('site')!.buildroot.includes('httpd-2.4.57-1.x86_64'), 'webserver has two providers; libsolv picks httpd');
  assert.ok(r.get('migrate')!.buildroot.includes('newtool-2.0-1.noarch'), 'oldtool >= 2 is only provided by the obsoleting newtool');
  assert.ok(r.get('bartender')!.buildroot.includes('libbar-tools-1.9-3.x86_64'));
});

test('v2: libbar 2.0 breaks baz through qux, fixes newthing, upgrades the rest', async () => {
  const { v2 } = await fixtureRepositories();
  const results = await runSolvOracle({ repos: [v2], mode: 'sources', base: build });
  assert.equal(unresolved(results), ['baz', 'clash', 'nosuch']);
  const r = byName(results);
  assert.not.ok(r.has('legacy'));
  assert.ok(r.get('zap')!.resolved);
  assert.equal(r.get('baz')!.problems, [
    'package qux-devel-1.0-1.x86_64 requires qux = 1.0-1, but none of the providers can be installed',
    'nothing provides libbar.so.1()(64bit) needed by qux-1.0-1.x86_64',
  ]);
  assert.equal(r.get('clash')!.problems, ['package nginx-1:1.25.0-1.x86_64 conflicts with httpd provided by httpd-2.4.58-1.x86_64']);
  assert.ok(r.get('newthing')!.buildroot.includes('libbar-devel-2.0-1.x86_64'));
  assert.ok(r.get('bartender')!.buildroot.includes('bar-tools-2.0-1.x86_64'), 'the renamed subpackage provides the old name');
  assert.ok(r.get('qux')!.resolved, 'qux itself rebuilds against libbar 2.0');
  assert.ok(r.get('gcc')!.buildroot.includes('coreutils-9.3-2.x86_64'));
});

test('updates overlaid on v1: merge keeps old libbar reachable, replace hides it like Koji inheritance', async () => {
  const { v1, updates } = await fixtureRepositories();
  const merged = await runSolvOracle({ repos: [v1, updates], mode: 'sources', base: build });
  assert.equal(unresolved(merged), ['clash', 'nosuch']);
  assert.ok(byName(merged).get('baz')!.buildroot.includes('libbar-1.9-3.x86_64'));
  const replaced = await runSolvOracle({ repos: [v1, updates], mode: 'sources', base: build, overlay: 'replace' });
  assert.equal(unresolved(replaced), ['baz', 'clash', 'nosuch']);
  assert.ok(byName(replaced).has('legacy'), 'an overlay cannot remove a package');
});

test('binaries mode: runtime installability of each binary package', async () => {
  const { v1, v2 } = await fixtureRepositories();
  assert.equal(unresolved(await runSolvOracle({ repos: [v1], mode: 'binaries' })), []);
  const after = await runSolvOracle({ repos: [v2], mode: 'binaries' });
  assert.equal(unresolved(after), ['baz', 'qux', 'qux-devel']);
  assert.ok(after.every((r) => r.arch !== 'src'));
});

test('weak dependencies are honoured only when asked', async () => {
  const { v1 } = await fixtureRepositories();
  const options = { repos: [v1], mode: 'sources' as const, base: ['bash'], only: ['weakling'] };
  const [without] = await runSolvOracle(options);
  const [withWeak] = await runSolvOracle({ ...options, weakDeps: true });
  assert.not.ok(without.buildroot.includes('foo-doc-2.3-1.noarch'));
  assert.ok(withWeak.buildroot.includes('foo-doc-2.3-1.noarch'));
});

test('bad input is an invalid_input error naming the field', async () => {
  try {
    await runSolvOracle({ repos: ['/nonexistent'], mode: 'sources' });
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code?: string }).code, 'invalid_input');
    assert.match((error as Error).message, '/nonexistent/repodata/repomd.xml');
  }
});

test.run();
