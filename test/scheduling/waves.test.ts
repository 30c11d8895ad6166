/**
 * Rebuild waves on the rpm fixture distribution ingested by the real pipeline: batch order on the
 * build-dependency graph (and cycles, on a hand-made graph), the cost estimate from build history,
 * a run to completion with the simulation backend, pause / resume / cancel, failure propagation,
 * two schedulers driving one wave, and the gating rebuild policy for dependency changes and waves.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulatedBuild, simulationExecutor, type BuildExecutor } from '../../src/builds/build-executors.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, withTransaction, type Db } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { checkEvent } from '../../src/events/event-catalogue.ts';
import { loadPolicyDirectory } from '../../src/gating/policies.ts';
import { recordResult } from '../../src/results/service.ts';
import { whyNotScheduled } from '../../src/scheduling/package-schedule.ts';
import { rebuildPolicyFromConfig } from '../../src/scheduling/rebuild-policy.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { affectedSet, defaultBuildSeconds, estimateOrder, orderIntoBatches } from '../../src/scheduling/wave-plan.ts';
import { planWave, transitionWave, waveDetail, type WaveDetail } from '../../src/scheduling/waves.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends, type TestDatabase } from '../helpers/database.ts';
import { addBuilder, fixtureSources, ingest, moveTo, testSettings } from './scheduling-fixture.ts';

const graph = (edges: [string, string][]) => {
  const dependents = new Map<string, Set<string>>();
  for (const [from, to] of edges) dependents.set(from, new Set([...(dependents.get(from) ?? []), to]));
  return dependents;
};

test('batches: topological waves; a cycle is one unit in one batch', () => {
  // lib <- a <- b <- c -> b (b and c build-depend on each other), d needs c, e stands alone; x is outside the set.
  const dependents = graph([['lib', 'a'], ['a', 'b'], ['b', 'c'], ['c', 'b'], ['c', 'd'], ['lib', 'x'], ['x', 'd']]);
  const order = orderIntoBatches(['lib', 'a', 'b', 'c', 'd', 'e'], dependents);
  assert.equal(order.batches, [['e', 'lib'], ['a'], ['b', 'c'], ['d']]);
  assert.equal(order.cycles, [['b', 'c']]);
  assert.is(order.cycleOf.get('b'), 0);
  assert.is(order.cycleOf.get('a'), undefined);
  assert.equal(order.edges.sort(), [['a', 'b'], ['b', 'c'], ['c', 'b'], ['c', 'd'], ['lib', 'a']], 'edges leaving the set (x) are dropped');
  assert.equal([...affectedSet(dependents, 'lib', (n) => n !== 'x')].sort(), ['a', 'b', 'c', 'd', 'lib', 'x'], 'an untracked package in between still carries the change');
  assert.equal([...affectedSet(dependents, 'lib', (n) => n !== 'lib')].sort(), ['a', 'b', 'c', 'd', 'x'], 'an untracked root is not rebuilt itself');
});

test('cost estimate: history, else the collection median, else the default; batches bounded by the cap', () => {
  const order = orderIntoBatches(['lib', 'a', 'b'], graph([['lib', 'a'], ['lib', 'b']]));
  const withHistory = estimateOrder(order, { perPackage: new Map([['lib', 600], ['a', 100]]), collectionMedian: 300 }, 1);
  assert.equal([...withHistory.nodes].map(([n, e]) => [n, e.seconds, e.source]), [['lib', 600, 'history'], ['a', 100, 'history'], ['b', 300, 'collection']]);
  assert.equal(withHistory.estimate, {
    builds: 3, buildSeconds: 1000, expectedSeconds: 600 + 400, fromHistory: 2, fallback: 1, fallbackSeconds: 300, batchSeconds: [600, 400],
  }, 'cap 1: the second batch runs one build after the other');
  const none = estimateOrder(order, { perPackage: new Map(), collectionMedian: null }, 30);
  assert.equal(none.estimate.batchSeconds, [defaultBuildSeconds, defaultBuildSeconds], 'cap 30: each batch takes its longest build');
  assert.is(none.estimate.fallbackSeconds, defaultBuildSeconds);
});

async function rejects(work: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await work().then(() => undefined, (e: unknown) => e);
  assert.instance(error, Error, `expected a rejection matching ${pattern}`);
  assert.match((error as Error).message, pattern);
}

/** Tracked packages of the v1 fixture whose buildroot holds a binary of libbar, directly or through others, and libbar. */
const affectedByLibbar = ['bartender', 'baz', 'foo', 'libbar', 'qux', 'richdeps', 'weakling'];

/** A seed under which the simulation backend passes every one of `names`. */
const passingSeed = (names: string[]) => {
  for (let seed = 1; ; seed++) if (names.every((n) => simulatedBuild(seed, n).succeeded)) return seed;
};

for (const backend of databaseBackends()) {
  const it = suite(`waves (${backend.name})`);
  let database: TestDatabase;
  let repos: FixtureRepositories;
  const logDir = mkdtempSync(join(tmpdir(), 'ripple-wave-logs-'));
  const settings = testSettings();
  const db = () => database.db;

  /** A simulation collection tracking the fixture sources and libbar. */
  async function collection(name: string): Promise<number> {
    const row = await db().insertInto('collections').values({
      name, display_name: name, format: 'rpm-md', sources: JSON.stringify([{ url: repos.v1 }]), architectures: ['x86_64'],
      base_buildroot: JSON.stringify({ group: 'build' }), build_backend: 'simulation',
    }).returning('id').executeTakeFirstOrThrow();
    await db().insertInto('packages').values([...fixtureSources, 'libbar'].map((p) => ({ collection_id: row.id, name: p }))).execute();
    await ingest(db(), name);
    return row.id;
  }
  const plan = (name: string, extra: Partial<Parameters<typeof planWave>[1]> = {}) =>
    planWave(db(), { collection: name, target: { kind: 'affected', value: 'libbar-devel' }, description: '', by: 'alice', ...extra }, 30);
  const batchesOf = (w: WaveDetail) => w.batches.map((b) => w.nodes.filter((n) => n.batch === b.index).map((n) => n.package));
  const nodeStates = async (id: number) => Object.fromEntries((await waveDetail(db(), id)).nodes.map((n) => [n.package, n.state]));
  const worker = (name: string, executor: BuildExecutor) => new BuildWorker(db(), {
    name, backend: 'simulation', arches: ['x86_64'], capacity: 4, leaseSeconds: 30, pollSeconds: 0.05,
    retry: { maxAttempts: 2, backoffSeconds: 0 }, executor, logDir,
  });
  /** Ticks the scheduler (worker running) until the wave ends. */
  async function runWave(id: number, w: BuildWorker): Promise<WaveDetail> {
    await w.start();
    try {
      for (let i = 0; i < 400; i++) {
        await schedulerTick(db(), settings);
        const wave = await waveDetail(db(), id);
        // The counts are kept by triggers (sql/0013): they must match the nodes after every tick.
        const counted = Object.fromEntries(Object.keys(wave.counts).map((state) => [state, wave.nodes.filter((n) => n.state === state).length]));
        assert.equal(wave.counts, counted, `wave ${id} counts after tick ${i}`);
        if (wave.state === 'finished' || wave.state === 'canceled') return wave;
        await new Promise((r) => setTimeout(r, 30));
      }
      throw new Error(`wave ${id} did not finish: ${JSON.stringify(await nodeStates(id))}`);
    } finally {
      await w.stop();
    }
  }
  const finishActive = (state: 'succeeded' | 'failed') => db().updateTable('builds')
    .set({ state, outcome: state === 'succeeded' ? 'passed' : 'failed', finished_at: new Date(), duration_ms: 1000 })
    .where('state', 'in', ['queued', 'running']).execute();

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    await addBuilder(db(), 'sim-waves', 100);
  });
  it.after(async () => database.close());

  it('plan: everything affected by a binary, in batches, with a cost estimate; nothing queued', async () => {
    await collection('plan');
    const wave = await plan('plan', { description: 'libbar soname bump' });
    assert.is(wave.state, 'planned');
    assert.equal(wave.target, { kind: 'affected', value: 'libbar-devel' });
    // bartender needs libbar-tools, foo and richdeps libbar-devel, qux libbar-devel; baz needs qux-devel, weakling foo.
    assert.equal(batchesOf(wave), [['libbar'], ['bartender', 'foo', 'qux', 'richdeps'], ['baz', 'weakling']]);
    for (const edge of [{ from: 'libbar', to: 'qux' }, { from: 'qux', to: 'baz' }, { from: 'foo', to: 'weakling' }, { from: 'libbar', to: 'baz' }]) {
      assert.ok(wave.edges.some((e) => e.from === edge.from && e.to === edge.to), `${edge.from} -> ${edge.to}`);
    }
    const batchOf = new Map(wave.nodes.map((n) => [n.package, n.batch]));
    assert.ok(wave.edges.every((e) => batchOf.get(e.from)! < batchOf.get(e.to)!), 'every dependency is in an earlier batch');
    assert.is(wave.edgeCount, wave.edges.length);
    // Past the limit (millions for a whole archive) the detail says how many and lists none.
    const trimmed = await waveDetail(db(), wave.id, wave.edgeCount - 1);
    assert.equal([trimmed.edges, trimmed.edgeCount, trimmed.nodes.length], [[], wave.edgeCount, wave.nodes.length]);
    assert.equal(wave.cycles, []);
    assert.equal(wave.estimate, {
      builds: 7, buildSeconds: 7 * defaultBuildSeconds, expectedSeconds: 3 * defaultBuildSeconds, fromHistory: 0, fallback: 7,
      fallbackSeconds: defaultBuildSeconds, batchSeconds: [defaultBuildSeconds, defaultBuildSeconds, defaultBuildSeconds],
    });
    assert.ok(wave.nodes.every((n) => n.state === 'pending' && n.estimate === 'default'));
    assert.equal(wave.batches.map((b) => b.state), ['waiting', 'waiting', 'waiting']);
    await schedulerTick(db(), settings);
    assert.is((await db().selectFrom('builds').select('id').execute()).length, 0, 'a planned wave queues nothing');
    const [event] = await readEvents(db(), { afterId: 0, limit: 1000, types: ['wave.planned'] });
    assert.equal(event!.payload, {
      wave_id: wave.id, collection: 'plan', target: { kind: 'affected', value: 'libbar-devel' }, builds: 7, batches: 3, cycles: 0,
      expected_seconds: 3 * defaultBuildSeconds, by: 'alice',
    });

    // With history: libbar's own builds, the collection's median for the others.
    const libbar = await db().selectFrom('packages').select('id').where('name', '=', 'libbar').where('collection_id', '=', (await db().selectFrom('collections').select('id').where('name', '=', 'plan').executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow();
    const snapshot = (await db().selectFrom('collections').select('current_snapshot_id').where('name', '=', 'plan').executeTakeFirstOrThrow()).current_snapshot_id!;
    await db().insertInto('builds').values([400_000, 800_000].map((ms) => ({
      package_id: libbar.id, snapshot_id: snapshot, backend: 'simulation' as const, priority: 0, state: 'succeeded' as const, outcome: 'passed' as const,
      finished_at: new Date(), duration_ms: ms,
    }))).execute();
    const again = await plan('plan', { target: { kind: 'packages', value: ['qux', 'libbar'] } });
    assert.equal(again.nodes.map((n) => [n.package, n.expectedSeconds, n.estimate]), [['libbar', 600, 'history'], ['qux', 600, 'collection']]);
    assert.is(again.estimate.expectedSeconds, 1200);
    await rejects(() => plan('plan', { target: { kind: 'packages', value: ['qux', 'nope'] } }), /'nope' is not a tracked package of collection plan/);
    await rejects(() => plan('plan', { target: { kind: 'affected', value: 'no-such-thing' } }), /no-such-thing' does not exist/);
  });

  it('run to completion with the simulation backend: batch k+1 is queued only after batch k finished', async () => {
    await collection('run');
    const wave = await plan('run');
    await transitionWave(db(), wave.id, 'start', 'alice');
    const seed = passingSeed(affectedByLibbar);
    const done = await runWave(wave.id, worker('sim-run', simulationExecutor(seed, 0)));
    assert.is(done.state, 'finished');
    assert.equal(done.counts, { pending: 0, queued: 0, building: 0, built: 7, failed: 0, blocked: 0, canceled: 0 });
    assert.equal(done.batches.map((b) => b.state), ['done', 'done', 'done']);
    const builds = await db().selectFrom('builds as b').innerJoin('wave_nodes as n', 'n.build_id', 'b.id').innerJoin('packages as p', 'p.id', 'b.package_id')
      .select(['p.name', 'n.batch', 'b.queued_at', 'b.finished_at', 'b.reason']).where('n.wave_id', '=', wave.id).execute();
    for (const later of builds) {
      for (const earlier of builds.filter((b) => b.batch < later.batch)) {
        assert.ok(earlier.finished_at! <= later.queued_at, `${later.name} (batch ${later.batch}) queued before ${earlier.name} finished`);
      }
      assert.equal(later.reason.kind, 'wave');
    }
    const events = await readEvents(db(), { afterId: 0, limit: 10_000 });
    assert.equal(events.flatMap(checkEvent), []);
    const mine = events.filter((e) => e.type.startsWith('wave.') && e.payload.wave_id === wave.id);
    assert.equal(mine.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i), ['wave.planned', 'wave.started', 'wave.progress', 'wave.finished']);
    const progress = mine.filter((e) => e.type === 'wave.progress').map((e) => e.payload);
    assert.ok(progress.some((p) => p.batch === 1 && (p.changed as { package: string; state: string }[]).some((c) => c.package === 'qux' && c.state === 'queued')));
    assert.equal(mine.at(-1)!.payload.counts, done.counts);
  });

  it('a failed build blocks its dependents in later batches; the rest goes on', async () => {
    await collection('fail');
    const wave = await plan('fail');
    await transitionWave(db(), wave.id, 'start', 'alice');
    const simulate = simulationExecutor(passingSeed(affectedByLibbar), 0);
    const done = await runWave(wave.id, worker('sim-fail', async (build, context) => (build.package === 'qux' ? { succeeded: false, exitStatus: 1 } : simulate(build, context))));
    const byName = Object.fromEntries(done.nodes.map((n) => [n.package, n]));
    assert.is(byName.qux!.state, 'failed');
    assert.match(byName.qux!.reason!, /^build \d+ failed$/);
    assert.is(byName.baz!.state, 'blocked');
    assert.is(byName.baz!.reason, `dependency qux failed (build ${byName.qux!.buildId})`);
    assert.is(byName.baz!.buildId, null, 'never queued');
    assert.is(byName.bartender!.state, 'built');
    assert.is(done.state, 'finished');
  });

  it('a build finishing while a tick advances the waves does not free its dependents ahead of their batch (PostgreSQL)', async () => {
    if (!database.url) return; // needs a second connection holding a lock
    await collection('race');
    await moveTo(db(), 'race', repos.v2);
    assert.equal(await whyNotScheduled(db(), 'race', 'qux', settings.priority), [], 'libbar-devel moved at distance 1: qux is due on its own');
    const wave = await planWave(db(), { collection: 'race', target: { kind: 'affected', value: 'libbar' }, description: '', by: 'alice' }, 30);
    await transitionWave(db(), wave.id, 'start', 'alice');
    await schedulerTick(db(), settings);
    const libbar = await db().selectFrom('wave_nodes').select(['package_id', 'build_id']).where('wave_id', '=', wave.id).where('state', '=', 'queued').executeTakeFirstOrThrow();
    await db().updateTable('builds').set({ state: 'running', worker: 'w', started_at: new Date() }).where('id', '=', libbar.build_id!).execute();
    const other = await openDatabase({ url: database.url, migrate: false });
    try {
      // Hold libbar's node: the tick's advance waits for it, and libbar's build finishes meanwhile.
      const { ticking } = await withTransaction(other.db, async (trx) => {
        await trx.selectFrom('wave_nodes').select('state').where('wave_id', '=', wave.id).where('package_id', '=', libbar.package_id).forUpdate().execute();
        const ticking = schedulerTick(db(), settings);
        for (let waited = 0; ; waited += 10) {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(trx);
          if (rows[0]!.n > 0) break;
          if (waited > 10_000) throw new Error('the tick never waited for the node');
          await new Promise((r) => setTimeout(r, 10));
        }
        await finishActive('succeeded');
        return { ticking };
      });
      const tick = await ticking;
      assert.not.ok(tick.queued.some((b) => b.package === 'qux'), JSON.stringify(tick.queued));
      assert.match(tick.skipped.find((x) => x.collection === 'race' && x.package === 'qux')?.reason ?? '', /^blocked by build of libbar/);
      const next = await schedulerTick(db(), settings);
      assert.is(next.queued.find((b) => b.collection === 'race' && b.package === 'qux')?.reason.kind, 'wave', JSON.stringify(next.queued));
    } finally {
      await other.close();
      // Leave the cap to the next tests.
      await transitionWave(db(), wave.id, 'cancel', 'alice');
      await db().updateTable('collections').set({ paused: true }).where('name', '=', 'race').execute();
      await finishActive('succeeded');
    }
  });

  it('pause holds the next batch, resume releases it, cancel cancels queued builds and pending packages', async () => {
    await collection('pause');
    const wave = await plan('pause');
    await rejects(() => transitionWave(db(), wave.id, 'pause', 'alice'), /cannot pause wave \d+: it is planned/);
    await transitionWave(db(), wave.id, 'start', 'alice');
    await schedulerTick(db(), settings);
    const rest = (state: string) => ({ foo: state, richdeps: state, weakling: 'pending' });
    assert.equal(await nodeStates(wave.id), { libbar: 'queued', bartender: 'pending', qux: 'pending', baz: 'pending', ...rest('pending') });
    assert.is((await transitionWave(db(), wave.id, 'pause', 'bob')).waitingFor, 'paused');
    await finishActive('succeeded');
    await schedulerTick(db(), settings);
    assert.equal(await nodeStates(wave.id), { libbar: 'built', bartender: 'pending', qux: 'pending', baz: 'pending', ...rest('pending') }, 'paused: batch 2 not queued');
    await transitionWave(db(), wave.id, 'resume', 'bob');
    await schedulerTick(db(), settings);
    assert.equal(await nodeStates(wave.id), { libbar: 'built', bartender: 'queued', qux: 'queued', baz: 'pending', ...rest('queued') });
    const canceled = await transitionWave(db(), wave.id, 'cancel', 'carol');
    assert.is(canceled.state, 'canceled');
    assert.equal(canceled.counts, { pending: 0, queued: 0, building: 0, built: 1, failed: 0, blocked: 0, canceled: 6 }, 'counts kept by triggers');
    assert.equal(await nodeStates(wave.id), { libbar: 'built', bartender: 'canceled', qux: 'canceled', baz: 'canceled', foo: 'canceled', richdeps: 'canceled', weakling: 'canceled' });
    const builds = await db().selectFrom('builds as b').innerJoin('wave_nodes as n', 'n.build_id', 'b.id').select(['b.state', 'b.canceled_by'])
      .where('n.wave_id', '=', wave.id).where('b.state', '<>', 'succeeded').execute();
    assert.equal(builds, Array.from({ length: 4 }, () => ({ state: 'canceled', canceled_by: 'carol' })));
    const events = await readEvents(db(), { afterId: 0, limit: 10_000, types: ['wave.paused', 'wave.resumed', 'wave.canceled', 'build.canceled'] });
    assert.equal(events.filter((e) => e.payload.wave_id === wave.id || e.payload.by === 'carol').map((e) => e.type), [
      'wave.paused', 'wave.resumed', 'build.canceled', 'build.canceled', 'build.canceled', 'build.canceled', 'wave.canceled',
    ]);
    await schedulerTick(db(), settings);
    assert.is((await db().selectFrom('builds').select('id').where('state', 'in', ['queued', 'running']).execute()).length, 0, 'nothing queued after cancel');
  });

  it('two schedulers drive one wave: every package is queued once', async () => {
    await collection('twice');
    const other = database.url ? await openDatabase({ url: database.url, migrate: false }) : undefined;
    try {
      const instances: Db[] = [db(), other?.db ?? db()];
      const wave = await plan('twice');
      await transitionWave(db(), wave.id, 'start', 'alice');
      for (let round = 0; round < 5; round++) {
        await Promise.all([0, 1, 2, 3].map((i) => schedulerTick(instances[i % 2]!, settings)));
        await finishActive('succeeded');
      }
      await Promise.all([0, 1].map((i) => schedulerTick(instances[i]!, settings)));
      const done = await waveDetail(db(), wave.id);
      assert.is(done.state, 'finished', JSON.stringify(done.nodes));
      const builds = await db().selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id').innerJoin('collections as c', 'c.id', 'p.collection_id')
        .select('p.name').where('c.name', '=', 'twice').execute();
      assert.equal(builds.map((b) => b.name).sort(), affectedByLibbar, JSON.stringify(done.nodes));
      const progress = (await readEvents(db(), { afterId: 0, limit: 10_000, types: ['wave.progress'] })).filter((e) => e.payload.wave_id === wave.id);
      const queuedTwice = progress.flatMap((e) => (e.payload.changed as { package: string; state: string }[]).filter((c) => c.state === 'queued').map((c) => c.package));
      assert.equal(queuedTwice.sort(), affectedByLibbar);
    } finally {
      await other?.close();
    }
  });

  it('rebuild policy: dependents of a package failing its gating wait, and say why; a passing result lets them go', async () => {
    await collection('gated');
    const config = loadConfig({});
    const policy = rebuildPolicyFromConfig(config);
    const gated = testSettings({ policy });
    const libbarResult = (outcome: 'FAILED' | 'PASSED') => withTransaction(db(), (trx) => recordResult(trx, {
      testcase: 'ripple.buildability', outcome, item: 'gated/libbar', type: 'ripple_package', note: 'libbar: nothing provides gcc-14',
    }, loadPolicyDirectory(config.policiesDir)));
    await moveTo(db(), 'gated', repos.v2);
    await libbarResult('FAILED');
    const why = await whyNotScheduled(db(), 'gated', 'qux', settings.priority, new Date(), policy);
    assert.ok(why.includes('waiting: libbar failed gating: ripple.buildability (test-result-failed)'), why.join(' | '));
    const tick = await schedulerTick(db(), gated);
    const quxSkip = tick.skipped.find((s) => s.collection === 'gated' && s.package === 'qux');
    assert.is(quxSkip?.reason, 'waiting: libbar failed gating: ripple.buildability (test-result-failed)');
    assert.not.ok(tick.queued.some((b) => b.collection === 'gated' && b.package === 'qux'));

    // The wave waits after libbar's own batch.
    await finishActive('succeeded');
    const wave = await planWave(db(), { collection: 'gated', target: { kind: 'affected', value: 'libbar' }, description: '', by: 'alice' }, 30);
    await transitionWave(db(), wave.id, 'start', 'alice');
    await schedulerTick(db(), gated);
    await finishActive('succeeded');
    await schedulerTick(db(), gated);
    const waiting = await waveDetail(db(), wave.id);
    assert.is(waiting.waitingFor, 'waiting: libbar failed gating: ripple.buildability (test-result-failed)');
    const others = waiting.nodes.filter((n) => n.package !== 'libbar');
    assert.ok(others.some((n) => n.package === 'qux') && others.every((n) => n.state === 'pending'), JSON.stringify(waiting.nodes));
    const held = (await readEvents(db(), { afterId: 0, limit: 10_000, types: ['wave.progress'] })).filter((e) => e.payload.wave_id === wave.id).at(-1)!;
    assert.is(held.payload.waiting_for, waiting.waitingFor);

    await libbarResult('PASSED');
    assert.not.ok((await whyNotScheduled(db(), 'gated', 'qux', settings.priority, new Date(), policy)).some((r) => r.startsWith('waiting:')));
    await schedulerTick(db(), gated);
    const released = await waveDetail(db(), wave.id);
    assert.is(released.waitingFor, null);
    assert.equal(Object.fromEntries(released.nodes.map((n) => [n.package, n.state])).qux, 'queued');
  });

  it('cancel one build through the API; a finished build cannot be canceled', async () => {
    const { createApp } = await import('../../src/http/app.ts');
    const { createToken, createUser } = await import('../../src/users/service.ts');
    const app = createApp({ db: db(), config: loadConfig({}) });
    const token = (await createToken(db(), await createUser(db(), { name: 'dora' }), ['maintainer'])).token;
    await db().updateTable('packages').set({ manual_priority: 3000 }).where('name', '=', 'foo').execute();
    const [queued] = (await schedulerTick(db(), settings)).queued.filter((b) => b.package === 'foo');
    const cancel = (id: number) => app.request(`/api/builds/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const response = await cancel(queued!.id);
    assert.is(response.status, 200, await response.clone().text());
    const body = await response.json() as { state: string; canceledBy: string; cancelRequested: boolean };
    assert.equal([body.state, body.canceledBy, body.cancelRequested], ['canceled', 'dora', true]);
    const again = await cancel(queued!.id);
    assert.is(again.status, 409);
    assert.match(await again.text(), /already ended \(canceled\)/);
    assert.is((await cancel(999_999)).status, 404);
  });

  it.run();
}

test.run();
