import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SolverPool, type BinaryPackage, type Resolution } from '../../resolver/src/index.ts';
import { deb, dep, or, source } from './packages.ts';

const packages: BinaryPackage[] = [
  deb('libc6', '2.36-9'),
  deb('dpkg', '1.21.22', { essential: true, requires: ['libc6 >= 2.34', 'tar'] }),
  deb('tar', '1.34+dfsg-1.2', { essential: true, requires: ['libc6'] }),
  deb('build-essential', '12.9', { requires: ['gcc-12', 'make'] }),
  deb('gcc-12', '12.2.0-14', { requires: ['cpp-12 = 12.2.0-14'] }),
  deb('cpp-12', '12.2.0-14'),
  deb('make', '4.3-4.1'),
  deb('libfoo1', '2.0~rc1-1'),
  deb('libfoo1', '1.9-2'),
  deb('libfoo-dev', '1.9-2', { requires: ['libfoo1 = 1.9-2'] }),
  deb('debhelper-compat', '13', { provides: ['debhelper-compat = 13'], arch: 'all' }),
  deb('dh-virtual', '1', { provides: ['dh-sequence-foo'], arch: 'all' }),
  deb('python3', '3.11.2-1', { requires: ['libc6'] }),
  deb('python3-a', '1-1', { requires: ['python3-b'] }),
  deb('python3-b', '1-1', { requires: ['python3'] }),
  deb('alt-one', '1', { conflicts: ['alt-two'] }),
  deb('alt-two', '1'),
  deb('man-db', '2.11', { recommends: ['groff'] }),
  deb('groff', '1.22'),
];

let pool: SolverPool;
test.before(async () => {
  pool = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  pool.addRepository('bookworm', packages);
});
test.after(() => pool.free());

function summary(resolution: Resolution): string[] {
  if (!resolution.resolved) throw new Error(JSON.stringify(resolution.problems));
  return resolution.members.map((m) => `${packages[m.package.index].name}_${packages[m.package.index].version}:${m.base ? 'base' : m.distance}`).sort();
}

const problems = (resolution: Resolution) => (resolution.resolved ? [] : resolution.problems.map((p) => p.sentences));

test('Debian version order: ~ sorts before the release, = compares the whole version', () => {
  assert.equal(summary(pool.resolveInstall([dep('libfoo1 >= 2.0~')])), ['libfoo1_2.0~rc1-1:1']);
  assert.equal(problems(pool.resolveInstall([dep('libfoo1 >= 2.0')])), [['nothing provides requested libfoo1 >= 2.0']]);
  assert.equal(problems(pool.resolveInstall([dep('libfoo1 = 1.9')])), [['nothing provides requested libfoo1 = 1.9']]);
  assert.equal(summary(pool.resolveInstall([dep('libfoo1 = 1.9-2')])), ['libfoo1_1.9-2:1']);
});

test('<< and >> are strict (the reader maps them to < and >)', () => {
  assert.equal(summary(pool.resolveInstall([dep('libfoo1 << 2.0~rc1-1')])), ['libfoo1_1.9-2:1']);
  assert.equal(summary(pool.resolveInstall([dep('libfoo1 >> 1.9-2')])), ['libfoo1_2.0~rc1-1:1']);
  assert.equal(problems(pool.resolveInstall([dep('libfoo1 >> 2.0~rc1-1')])), [['nothing provides requested libfoo1 >> 2.0~rc1-1']]);
});

test('an unversioned Provides never satisfies a versioned dependency; a versioned one does', () => {
  assert.equal(summary(pool.resolveInstall([dep('dh-sequence-foo')])), ['dh-virtual_1:1']);
  assert.equal(problems(pool.resolveInstall([dep('dh-sequence-foo >= 1')])), [['nothing provides requested dh-sequence-foo >= 1']]);
  assert.equal(summary(pool.resolveInstall([dep('debhelper-compat = 13')])), ['debhelper-compat_13:1']);
});

test(':any and :native reduce to the plain name on a single-arch pool; arch all installs', () => {
  assert.equal(summary(pool.resolveInstall([{ name: 'python3', qualifier: 'any' }])), ['libc6_2.36-9:2', 'python3_3.11.2-1:1']);
});

test('alternatives: the solver may pick any; firstAlternativeOnly keeps the first', () => {
  const build = source('s', [or('missing-package', 'alt-two')]);
  assert.equal(summary(pool.resolve(build)), ['alt-two_1:1']);
  assert.equal(problems(pool.resolve(build, { firstAlternativeOnly: true })), [['nothing provides requested missing-package']]);
  // Only top-level alternatives of the source are cut; binaries' own alternatives stay whole.
  assert.equal(summary(pool.resolve(source('s', [or('alt-one', 'alt-two')]), { firstAlternativeOnly: true })), ['alt-one_1:1']);
});

test('distances 1, 2, 3 through the requires chain', () => {
  assert.equal(summary(pool.resolve(source('s', ['python3-a', 'libfoo-dev']))), [
    'libc6_2.36-9:4', 'libfoo-dev_1.9-2:1', 'libfoo1_1.9-2:2', 'python3-a_1-1:1', 'python3-b_1-1:2', 'python3_3.11.2-1:3',
  ]);
});

test('recommends only with weak dependencies, with their distance', () => {
  assert.equal(summary(pool.resolve(source('s', ['man-db']))), ['man-db_2.11:1']);
  assert.equal(summary(pool.resolve(source('s', ['man-db']), { weakDependencies: true })), ['groff_1.22:2', 'man-db_2.11:1']);
});

test('base = build-essential + Essential:yes; sources add to it', () => {
  const base = pool.setBase({ install: [dep('build-essential')], includeEssential: true });
  assert.equal(summary(base), [
    'build-essential_12.9:base', 'cpp-12_12.2.0-14:base', 'dpkg_1.21.22:base', 'gcc-12_12.2.0-14:base',
    'libc6_2.36-9:base', 'make_4.3-4.1:base', 'tar_1.34+dfsg-1.2:base',
  ]);
  assert.equal(summary(pool.resolve(source('s', ['python3', 'make']))).filter((m) => !m.endsWith(':base')), ['python3_3.11.2-1:1']);
  assert.equal(problems(pool.resolve(source('s', ['make'], ['tar']))), [['conflicting requests']]);
});

test('a relation qualified with another architecture matches nothing; with the pool\'s own, the plain name', async () => {
  const i386 = deb('libc6-i386', '2.36-9');
  const x32 = deb('libc6-x32', '2.36-9', { conflicts: [{ name: 'libc6-i386', architecture: 'x32' }] });
  const tool = deb('tool', '1', { requires: [{ name: 'libc6-i386', architecture: 'amd64' }] });
  const multiarch = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  try {
    multiarch.addRepository('bookworm', [i386, x32, tool]);
    const resolution = multiarch.resolveInstall([dep('libc6-x32'), dep('tool')]);
    assert.ok(resolution.resolved, JSON.stringify(problems(resolution)));
    assert.is(resolution.resolved && resolution.members.length, 3);
  } finally {
    multiarch.free();
  }
});

test.run();
