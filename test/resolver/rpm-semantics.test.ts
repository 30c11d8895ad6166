import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SolverPool, type BinaryPackage, type Dependency, type Resolution } from '../../resolver/src/index.ts';
import { binary, dep, source } from './packages.ts';

const rich: Dependency = { op: 'or', args: [dep('missing'), { op: 'and', args: [dep('fmt >= 2'), dep('fmt-devel')] }] };

const packages: BinaryPackage[] = [
  binary('gcc', '13.1', { requires: ['cpp = 13.1-1', 'binutils >= 2.40'] }),
  binary('cpp', '13.1'),
  binary('binutils', '2.39'),
  binary('binutils', '2.41', { requires: ['/usr/bin/perl'] }),
  binary('perl-interpreter', '5.36', { files: ['/usr/bin/perl'], provides: ['perl(:VERSION) = 5.36'] }),
  binary('fmt', '1.0'),
  binary('fmt', '2.0'),
  binary('fmt-devel', '2.0', { requires: ['fmt = 2.0-1'] }),
  binary('mta-a', '1', { provides: ['mta'] }),
  binary('mta-b', '1', { provides: ['mta'], arch: 'noarch' }),
  binary('old-tool', '1'),
  binary('new-tool', '2', { obsoletes: ['old-tool < 2'] }),
  binary('python-x', '1', { requires: [{ op: 'if', args: [dep('python-y'), dep('python-z')], otherwise: dep('python-w') }] }),
  binary('python-y', '1'),
  binary('python-w', '1'),
  binary('python-z', '1'),
  binary('with-a', '1', { provides: ['cap = 1'] }),
  binary('with-b', '1', { provides: ['cap = 2', 'extra'] }),
  binary('broken', '1', { requires: ['libfoo >= 2'] }),
  binary('enemy', '1', { conflicts: ['fmt'] }),
  binary('arm-only', '1', { arch: 'aarch64' }),
  binary('docs', '1', { recommends: ['fmt-devel'] }),
];

let pool: SolverPool;
test.before(async () => {
  pool = await SolverPool.create({ distType: 'rpm', arch: 'x86_64' });
  pool.addRepository('fedora', packages);
});
test.after(() => pool.free());

/** "name-version:distance" of each member, sorted. */
function summary(resolution: Resolution): string[] {
  assert.ok(resolution.resolved, JSON.stringify(resolution));
  if (!resolution.resolved) return [];
  return resolution.members.map((m) => {
    const p = packages[m.package.index];
    return `${p.name}-${p.version}:${m.base ? 'base' : m.distance}`;
  }).sort();
}

test('versioned requires pick the matching build and its file requires', () => {
  assert.equal(summary(pool.resolve(source('s', ['gcc']))), ['binutils-2.41:2', 'cpp-13.1:2', 'gcc-13.1:1', 'perl-interpreter-5.36:3']);
});

test('a file requirement is satisfied by a file of a package', () => {
  assert.equal(summary(pool.resolve(source('s', ['/usr/bin/perl']))), ['perl-interpreter-5.36:1']);
});

test('rich dependencies: or/and, if-else, with, without, unless', () => {
  assert.equal(summary(pool.resolve(source('s', [rich]))), ['fmt-2.0:1', 'fmt-devel-2.0:1']);
  assert.equal(summary(pool.resolve(source('s', ['python-x']))), ['python-w-1:2', 'python-x-1:1']);
  assert.equal(summary(pool.resolve(source('s', ['python-x', 'python-z']))), ['python-x-1:1', 'python-y-1:2', 'python-z-1:1']);
  assert.equal(summary(pool.resolve(source('s', [{ op: 'with', args: [dep('cap'), dep('extra')] }]))), ['with-b-1:1']);
  assert.equal(summary(pool.resolve(source('s', [{ op: 'without', args: [dep('cap'), dep('extra')] }]))), ['with-a-1:1']);
  assert.equal(summary(pool.resolve(source('s', [{ op: 'unless', args: [dep('python-y'), dep('python-z')] }]))), ['python-y-1:1']);
});

test('a virtual provide with several providers installs one of them', () => {
  const members = summary(pool.resolve(source('s', ['mta'])));
  assert.is(members.length, 1);
  assert.match(members[0], /^mta-[ab]-1:1$/);
});

test('obsoletes replace the obsoleted package', () => {
  const result = pool.resolveInstall([dep('old-tool'), dep('new-tool')]);
  if (result.resolved) throw new Error('expected a problem');
  assert.equal(result.problems[0].sentences, ['package new-tool-2-1.x86_64 obsoletes old-tool < 2 provided by old-tool-1-1.x86_64', 'conflicting requests']);
});

test('noarch installs, a foreign arch does not', () => {
  assert.equal(summary(pool.resolve(source('s', ['mta-b']))), ['mta-b-1:1']);
  const foreign = pool.resolve(source('s', ['arm-only']));
  if (foreign.resolved) throw new Error('expected a problem');
  assert.equal(foreign.problems[0].sentences, ['nothing provides requested arm-only']);
});

test('build conflicts forbid packages', () => {
  const result = pool.resolve(source('s', ['fmt'], ['fmt']));
  if (result.resolved) throw new Error('expected a problem');
  assert.equal(result.problems[0].sentences, ['conflicting requests']);
  assert.equal(summary(pool.resolve(source('s', ['fmt-devel'], ['fmt < 2']))), ['fmt-2.0:2', 'fmt-devel-2.0:1']);
});

test('unresolvable: every problem with all its sentences, packages and dependencies', () => {
  const result = pool.resolve(source('s', ['broken', 'nothing-at-all', 'enemy', 'fmt']));
  if (result.resolved) throw new Error('expected problems');
  assert.equal(result.problems.map((p) => p.sentences), [
    ['conflicting requests', 'nothing provides libfoo >= 2 needed by broken-1-1.x86_64'],
    ['nothing provides requested nothing-at-all'],
    ['conflicting requests', 'package enemy-1-1.x86_64 conflicts with fmt provided by fmt-1.0-1.x86_64', 'package enemy-1-1.x86_64 conflicts with fmt provided by fmt-2.0-1.x86_64'],
  ]);
  assert.equal(result.problems[0].packages, [{ repository: 0, index: 18 }]);
  assert.equal(result.problems[0].dependencies, ['broken', 'libfoo >= 2']);
  assert.equal(result.problems[1].dependencies, ['nothing-at-all']);
});

test('weak dependencies are ignored unless asked for', () => {
  assert.equal(summary(pool.resolve(source('s', ['docs']))), ['docs-1:1']);
  assert.equal(summary(pool.resolve(source('s', ['docs']), { weakDependencies: true })), ['docs-1:1', 'fmt-2.0:3', 'fmt-devel-2.0:2']);
});

test('base members are installed once, marked base, and count as base even when asked for', () => {
  const base = pool.setBase({ install: [dep('gcc')] });
  assert.equal(summary(base), ['binutils-2.41:base', 'cpp-13.1:base', 'gcc-13.1:base', 'perl-interpreter-5.36:base']);
  assert.equal(summary(pool.resolve(source('s', ['fmt-devel', 'binutils']))), [
    'binutils-2.41:base', 'cpp-13.1:base', 'fmt-2.0:2', 'fmt-devel-2.0:1', 'gcc-13.1:base', 'perl-interpreter-5.36:base',
  ]);
  const clash = pool.resolve(source('s', ['binutils < 2.40']));
  assert.is(clash.resolved, false);
  pool.setBase({ install: [] });
});

test('a broken base makes resolve refuse', () => {
  const base = pool.setBase({ install: [dep('broken')] });
  assert.is(base.resolved, false);
  assert.throws(() => pool.resolve(source('s', ['fmt'])), (e: Error & { code?: string }) => e.code === 'resolver_failed' && /base buildroot is not installable/.test(e.message));
  pool.setBase({ install: [] });
});

test.run();
