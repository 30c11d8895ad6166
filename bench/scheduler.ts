/**
 * Scheduler benchmark (issue 5) on the full Debian bookworm collection, simulation backend.
 *
 *   node --max-old-space-size=6144 --import tsx bench/scheduler.ts [--ticks N] [--refresh-graph] [--keep]
 *
 * --keep leaves the database for inspection (EXPLAIN).
 *
 * 1. The build-dependency graph of every bookworm source that builds on amd64, from the real
 *    indices through the resolver (package A depends on source B when A's buildroot holds a binary
 *    of B, base buildroot included, as src/scheduling/build-graph.ts derives it from stored
 *    resolutions). Resolving the archive takes minutes, so the graph is cached under
 *    .ripple/bench-cache/ keyed by the index files' sizes and times; --refresh-graph recomputes it.
 * 2. Plan a full-archive rebuild: strongly connected components, batches, cost estimate
 *    (wave-plan.ts, the code behind POST /api/waves). Goal at most 10 s.
 * 3. Scheduler ticks on PostgreSQL (DATABASE_URL, default the local server; a fresh database,
 *    dropped afterwards) with 34k tracked packages, one finished build each, unapplied
 *    dependency changes on a tenth of them and a running full-archive wave: each tick fills the
 *    global cap (30) from the wave's current batch, then the builds are marked finished. Goal
 *    at most 50 ms per tick. The database holds no buildroots, so the tick's blocking check runs
 *    on an empty graph there; blocking on the real graph is timed separately in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { formatTable } from '../src/cli/table.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase, withTransaction } from '../src/db/database.ts';
import { readSnapshot } from '../src/repos/read-repository.ts';
import { SnapshotResolver, buildSources, defaultSettings } from '../src/resolution/snapshot-resolver.ts';
import { Blocking } from '../src/scheduling/build-graph.ts';
import { rankCandidates } from '../src/scheduling/candidates.ts';
import { passRebuildPolicy } from '../src/scheduling/rebuild-policy.ts';
import { schedulerSettings, schedulerTick } from '../src/scheduling/scheduler.ts';
import { affectedSet, estimateOrder, orderIntoBatches } from '../src/scheduling/wave-plan.ts';
import { advanceWaves, storeWaveNodes, transitionWave } from '../src/scheduling/waves.ts';

const root = resolve(new URL('..', import.meta.url).pathname);
const bookworm = resolve(root, '../shared/data/debian/bookworm');
const { values } = parseArgs({ options: { ticks: { type: 'string' }, 'refresh-graph': { type: 'boolean' }, keep: { type: 'boolean' } } });
const tickCount = Number(values.ticks ?? 30);
const cap = 30;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const log = (message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface CachedGraph { names: string[]; dependents: number[][]; resolveSeconds: number }

/** The graph from the resolver, or from the cache when the indices did not change. */
async function archiveGraph(): Promise<CachedGraph> {
  const stamp = createHash('sha256').update(readdirSync(bookworm, { recursive: true }).map(String).sort()
    .map((f) => { const st = statSync(join(bookworm, f)); return `${f}:${st.size}:${st.mtimeMs}`; }).join('\n')).digest('hex').slice(0, 16);
  const cacheDir = resolve(root, '.ripple/bench-cache');
  const file = join(cacheDir, `bookworm-build-graph-${stamp}.json`);
  if (existsSync(file) && !values['refresh-graph']) return JSON.parse(readFileSync(file, 'utf8')) as CachedGraph;
  log('resolving every bookworm source (minutes; cached afterwards)');
  const started = performance.now();
  const settings = defaultSettings('deb');
  const snapshot = await readSnapshot([bookworm], 'deb');
  const sources = buildSources(snapshot, settings);
  const resolver = await SnapshotResolver.open(snapshot, settings);
  const outcomes = await resolver.resolve(sources, (done, total) => { if (done % 5000 === 0) log(`${done} / ${total}`); });
  await resolver.close();
  const names = [...new Set([...sources.map((s) => s.name), ...snapshot.binaries.map((b) => b.sourceName)])].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const dependents = names.map(() => new Set<number>());
  for (const outcome of outcomes) {
    if (!outcome.resolved) continue;
    const me = index.get(outcome.source.name)!;
    for (const member of outcome.buildroot) {
      const from = index.get(member.binary.sourceName);
      if (from !== undefined && from !== me) dependents[from]!.add(me);
    }
  }
  const graph: CachedGraph = { names, dependents: dependents.map((s) => [...s]), resolveSeconds: (performance.now() - started) / 1000 };
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(graph));
  return graph;
}

const graph = await archiveGraph();
const dependents = new Map(graph.names.map((n, i) => [n, new Set(graph.dependents[i]!.map((j) => graph.names[j]!))]));
const tracked = graph.names.filter((_, i) => graph.dependents[i] !== undefined);
const edgeCount = graph.dependents.reduce((n, d) => n + d.length, 0);
log(`graph: ${graph.names.length} sources, ${edgeCount} edges (resolved in ${graph.resolveSeconds.toFixed(0)} s when built)`);

// 2. Planning -------------------------------------------------------------------------------------
const planRuns: number[] = [];
let order = orderIntoBatches(tracked, dependents);
for (let run = 0; run < 3; run++) {
  const t = performance.now();
  order = orderIntoBatches(tracked, dependents);
  estimateOrder(order, { perPackage: new Map(), collectionMedian: null }, cap);
  planRuns.push(performance.now() - t);
}
const planMs = Math.min(...planRuns);
const biggestCycle = Math.max(0, ...order.cycles.map((c) => c.length));
let t = performance.now();
const zlibAffected = affectedSet(dependents, 'zlib', () => true);
const zlibOrder = orderIntoBatches(zlibAffected, dependents);
const zlibMs = performance.now() - t;

// In-memory blocking on the real graph, as a tick with 30 running builds computes it.
t = performance.now();
const blocking = new Blocking({ snapshotId: 0, dependents, sourceOfBinary: new Map() }, order.batches[0]!.slice(0, cap));
for (const name of tracked) blocking.reason(name, true);
const blockingMs = performance.now() - t;

// 3. Ticks on PostgreSQL ------------------------------------------------------------------------------
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `ripple_bench_sched_${randomBytes(3).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const database = await openDatabase({ url: url.toString() });
const tickTimes: number[] = [];
let storeMs: number;
let firstTickMs = Number.NaN;
let queuedTotal = 0;
let phaseTimes: { candidates: number; waves: number }[] = [];
try {
  const { db } = database;
  const collection = await db.insertInto('collections').values({
    name: 'bookworm', display_name: 'Debian 12', format: 'debian', sources: JSON.stringify([{ url: bookworm }]), architectures: ['amd64'],
    base_buildroot: JSON.stringify({ packages: ['build-essential'], essential: true }), build_backend: 'simulation', state: 'ok',
  }).returning('id').executeTakeFirstOrThrow();
  const snapshot = await db.insertInto('snapshots').values({
    collection_id: collection.id, sequence: 1, state: 'active', blob_sha256s: [], fingerprint: JSON.stringify({}),
  }).returning('id').executeTakeFirstOrThrow();
  await db.updateTable('collections').set({ current_snapshot_id: snapshot.id }).where('id', '=', collection.id).execute();
  log(`storing ${tracked.length} packages with a build each`);
  await sql`insert into packages (collection_id, name, resolved, state)
    select ${collection.id}, n, true, 'ok' from unnest(${tracked}::text[]) as n`.execute(db);
  await sql`insert into builds (package_id, snapshot_id, backend, state, outcome, priority, finished_at, duration_ms, queued_at)
    select p.id, ${snapshot.id}, 'simulation', 'succeeded', 'passed', 0, now() - interval '2 days', 600000, now() - interval '2 days'
    from packages p`.execute(db);
  // Unapplied dependency changes (a new snapshot after the builds) for every tenth package.
  const binary = await db.insertInto('binary_packages').values({ name: 'libz1', version: '1.3', release: '', arch: 'amd64' }).returning('id').executeTakeFirstOrThrow();
  await db.updateTable('snapshots').set({ state: 'superseded' }).where('id', '=', snapshot.id).execute();
  const later = await db.insertInto('snapshots').values({ collection_id: collection.id, sequence: 2, state: 'active', blob_sha256s: [], fingerprint: JSON.stringify({}) })
    .returning('id').executeTakeFirstOrThrow();
  await db.updateTable('collections').set({ current_snapshot_id: later.id }).where('id', '=', collection.id).execute();
  await sql`insert into dependency_changes (package_id, snapshot_id, baseline, dependency_name, kind, distance, current_binary_package_id)
    select p.id, ${later.id}, 'previous_resolution', 'libz1', 'added', 2, ${binary.id} from packages p where p.id % 10 = 0`.execute(db);
  await db.insertInto('builders').values({ name: 'sim', backend: 'simulation', arches: ['amd64'], capacity: cap }).execute();
  await sql`analyze`.execute(db);

  // The full-archive wave, stored as POST /api/waves stores it (nodes and edges), then started.
  log('storing the full-archive wave');
  t = performance.now();
  const ids = new Map((await db.selectFrom('packages').select(['id', 'name']).execute()).map((p) => [p.name, p.id]));
  const wave = await db.insertInto('waves').values({
    collection_id: collection.id, snapshot_id: later.id, target: JSON.stringify({ kind: 'packages', value: [] }), batch_count: order.batches.length,
    created_by: 'bench',
  }).returning('id').executeTakeFirstOrThrow();
  const { nodes } = estimateOrder(order, { perPackage: new Map(), collectionMedian: null }, cap);
  await withTransaction(db, (trx) => storeWaveNodes(trx, wave.id, order, nodes, ids));
  storeMs = performance.now() - t;
  await transitionWave(db, wave.id, 'start', 'bench');
  await sql`analyze`.execute(db);

  const settings = { ...schedulerSettings(loadConfig({ RIPPLE_MAX_CONCURRENT_BUILDS: String(cap) }), passRebuildPolicy) };
  log(`ticking ${tickCount} times`);
  const phaseRuns: { candidates: number; waves: number }[] = [];
  for (let i = 0; i <= tickCount; i++) {
    // The builder stays alive (a live builder's capacity is what the backend may take).
    await db.updateTable('builders').set({ last_seen: new Date() }).execute();
    if (i % 10 === 1) {
      // As the tick runs them: in a transaction without JIT.
      await withTransaction(db, async (trx) => {
        await sql`set local jit = off`.execute(trx);
        const candidatesStarted = performance.now();
        await rankCandidates(trx, settings.priority, new Date());
        const wavesStarted = performance.now();
        await advanceWaves(trx, passRebuildPolicy);
        phaseRuns.push({ candidates: wavesStarted - candidatesStarted, waves: performance.now() - wavesStarted });
      });
    }
    const started = performance.now();
    const tick = await schedulerTick(db, settings);
    const elapsed = performance.now() - started;
    if (i === 0) firstTickMs = elapsed;
    else tickTimes.push(elapsed);
    queuedTotal += tick.queued.length;
    phaseTimes = phaseRuns;
    // The simulation backend "finishes" them; the next tick sees free slots again.
    await db.updateTable('builds').set({ state: 'succeeded', outcome: 'passed', finished_at: new Date(), duration_ms: 1000 })
      .where('state', 'in', ['queued', 'running']).execute();
  }
} finally {
  await database.close();
  if (values.keep) log(`kept the database: ${url.toString()}`);
  else await admin.query(`drop database ${dbName} with (force)`);
  await admin.end();
}

tickTimes.sort((a, b) => a - b);
const p50 = tickTimes[Math.floor(tickTimes.length / 2)]!;
const worst = tickTimes.at(-1)!;
const ratio = (value: number, goal: number) => `${(value / goal).toFixed(2)}x`;
console.log(formatTable(['ratio to goal', 'measure', 'value', 'goal', 'met'], [
  [ratio(planMs, 10_000), `plan a full-archive rebuild (${tracked.length} packages, ${edgeCount} edges): components, batches, estimate`, ms(planMs), '10 s', planMs <= 10_000 ? 'yes' : 'NO'],
  [ratio(p50, 50), `scheduler tick, median of ${tickTimes.length} (34k packages, running wave, cap ${cap} refilled each tick)`, ms(p50), '50 ms', p50 <= 50 ? 'yes' : 'NO'],
  [ratio(worst, 50), 'scheduler tick, slowest', ms(worst), '50 ms', worst <= 50 ? 'yes' : 'NO'],
]));
console.log();
console.log(formatTable(['other figure', 'value'], [
  ['batches / cycles / largest cycle', `${order.batches.length} / ${order.cycles.length} / ${biggestCycle} packages`],
  ['plan runs (ms)', planRuns.map((r) => r.toFixed(0)).join(', ')],
  [`affected by zlib: set + batches (${zlibAffected.size} packages, ${zlibOrder.batches.length} batches)`, ms(zlibMs)],
  ['blocking on the real graph: 30 active builds, reason for every package (in memory)', ms(blockingMs)],
  ['first tick (cold caches, advances the wave to batch 0)', ms(firstTickMs)],
  ['builds queued over all ticks', String(queuedTotal)],
  [`storing the wave (${order.batchOf.size} nodes with ${edgeCount} edges as dependents, PostgreSQL)`, ms(storeMs)],
  ['tick phase: ranking the packages that can be due (rankCandidates), per sample', phaseTimes.map((p) => ms(p.candidates)).join(', ')],
  ['tick phase: advancing the waves, per sample', phaseTimes.map((p) => ms(p.waves)).join(', ')],
]));
