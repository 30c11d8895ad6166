import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResolverPool, SolverPool, type Resolution } from '../../resolver/src/index.ts';
import { deb, dep, or, source } from './packages.ts';
import { syntheticDistribution } from './synthetic.ts';

const base = { install: [dep('pkg20')], includeEssential: true };

test('workers give exactly the in-thread resolutions, in order, with progress', async () => {
  const { packages, sources } = syntheticDistribution(20_000, 300);
  const local = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  local.addRepository('main', packages);
  const localBase = local.setBase(base);
  const expected = sources.map((s) => local.resolve(s, { weakDependencies: true }));
  local.free();

  const pool = await ResolverPool.create({ size: 2, distType: 'deb', arch: 'amd64', repositories: [{ name: 'main', packages }], base, options: { weakDependencies: true } });
  try {
    assert.equal(pool.base, localBase);
    const progress: number[] = [];
    const actual = await pool.resolveAll(sources, { onProgress: (done, total) => { assert.is(total, 300); progress.push(done); } });
    assert.equal(actual, expected);
    assert.is(progress.at(-1), 300);
    // The pool stays warm: a second call with other options works on the same workers.
    const strict = await pool.resolveAll(sources.slice(0, 5), { options: {} });
    assert.ok(strict.every((r: Resolution, i) => r.resolved && expected[i].resolved && r.members.length <= expected[i].members.length));
  } finally {
    await pool.close();
  }
});

test('a small Debian-like distribution: base, alternatives, unresolvable sources', async () => {
  const packages = [
    deb('libc6', '2.36-9', { essential: true }),
    deb('build-essential', '12.9', { requires: ['gcc'] }),
    deb('gcc', '12'),
    deb('debhelper', '13.11', { requires: ['perl'], arch: 'all' }),
    deb('perl', '5.36', { requires: ['libc6 >= 2.36'] }),
    deb('libssl-dev', '3.0.11-1', { provides: ['libssl-dev:amd64 = 3.0.11-1'] }),
  ];
  const pool = await ResolverPool.create({
    size: 2, distType: 'deb', arch: 'amd64', repositories: [{ name: 'bookworm', packages }],
    base: { install: [dep('build-essential')], includeEssential: true },
  });
  try {
    const [ok, missing] = await pool.resolveAll([
      source('hello', ['debhelper >= 13', or('libgnutls-dev', 'libssl-dev')]),
      source('broken', ['debhelper >= 14']),
    ], { options: { firstAlternativeOnly: false } });
    assert.ok(ok.resolved);
    if (!ok.resolved || missing.resolved) return;
    const byName = Object.fromEntries(ok.members.map((m) => [packages[m.package.index].name, m.base ? 'base' : m.distance]));
    assert.equal(byName, { 'libc6': 'base', 'build-essential': 'base', 'gcc': 'base', 'debhelper': 1, 'perl': 2, 'libssl-dev': 1 });
    assert.equal(missing.problems, [{ sentences: ['nothing provides requested debhelper >= 14'], packages: [], dependencies: ['debhelper >= 14'] }]);
  } finally {
    await pool.close();
  }
});

test('a broken base rejects resolveAll with resolver_failed', async () => {
  const pool = await ResolverPool.create({
    size: 1, distType: 'deb', arch: 'amd64', repositories: [{ name: 'r', packages: [deb('a', '1', { requires: ['nothing'] })] }], base: { install: [dep('a')] },
  });
  try {
    assert.is(pool.base?.resolved, false);
    try {
      await pool.resolveAll([source('s', ['a'])]);
      assert.unreachable('resolveAll should reject');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'resolver_failed');
      assert.match((error as Error).message, /^cannot resolve s: the base buildroot is not installable \(conflicting requests; nothing provides nothing needed by a-1\.amd64\)$/);
    }
  } finally {
    await pool.close();
  }
});

test('a closed pool hands its threads to the next pool, which starts from nothing of the last', async () => {
  const first = await ResolverPool.create({
    size: 2, distType: 'deb', arch: 'amd64', repositories: [{ name: 'old', packages: [deb('libold', '1'), deb('gcc', '12')] }], base: { install: [dep('gcc')] },
  });
  const threads = first.threadIds;
  const [before] = await first.resolveAll([source('app', ['libold'])]);
  assert.ok(before!.resolved);
  await first.close();
  await first.close();
  try {
    await first.resolveAll([source('app', ['libold'])]);
    assert.unreachable('a closed pool should refuse');
  } catch (error) {
    assert.is((error as Error).message, 'the resolver pool is closed');
  }

  const packages = [deb('libnew', '2'), deb('gcc', '13')];
  const second = await ResolverPool.create({ size: 2, distType: 'deb', arch: 'amd64', repositories: [{ name: 'new', packages }], base: { install: [dep('gcc')] } });
  try {
    assert.equal([...second.threadIds].sort(), [...threads].sort());
    const [gone, app] = await second.resolveAll([source('app', ['libold']), source('app2', ['libnew'])]);
    assert.equal(gone, { resolved: false, problems: [{ sentences: ['nothing provides requested libold'], packages: [], dependencies: ['libold'] }] });
    assert.ok(app!.resolved);
    if (app!.resolved) assert.equal(app!.members.map((m) => packages[m.package.index]!.version).sort(), ['13', '2']);
  } finally {
    await second.close();
  }
});

test.run();
