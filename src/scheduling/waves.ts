/**
 * Rebuild waves: "rebuild everything affected by X", a whole group, or a list, planned into
 * batches on the build-dependency graph (wave-plan.ts) with a cost estimate, stored, then run by
 * the scheduler role. Nothing here queues a build: `advanceWaves` runs inside the scheduler tick
 * (under its advisory lock, so any number of scheduler instances drive a wave without queuing
 * anything twice) and only decides which batch is current; the tick then treats that batch's
 * pending packages as candidates and queues them through the ordinary queue, so the global cap,
 * backend capacity and fairness between collections apply to waves too.
 *
 * A batch's builds are queued once every build of the previous batch has finished. A failed or
 * canceled build blocks its pending dependents inside the wave (state `blocked`, reason naming
 * the dependency); they are never queued. A package that cannot be built at all (untracked,
 * blocked, unresolvable) is marked blocked too, without blocking its dependents: their build
 * dependencies still exist in the repositories.
 */
import { sql } from 'kysely';
import { parseGroupRef, findGroup } from '../collections/service.ts';
import { withTransaction, type Db, type Trx } from '../db/database.ts';
import type { WaveEstimate, WaveNodeState, WaveState, WaveTarget } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput, notFound } from '../errors.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import { cancelBuilds } from '../builds/build-queue.ts';
import { buildGraph } from './build-graph.ts';
import type { RebuildPolicy } from './rebuild-policy.ts';
import { affectedSet, estimateOrder, orderIntoBatches, type DurationHistory, type NodeEstimate, type WaveOrder } from './wave-plan.ts';

export const waveStates: readonly WaveState[] = ['planned', 'running', 'paused', 'canceled', 'finished'];
export const waveNodeStates: readonly WaveNodeState[] = ['pending', 'queued', 'building', 'built', 'failed', 'blocked', 'canceled'];
const unfinished: WaveNodeState[] = ['pending', 'queued', 'building'];

export type WaveCounts = Record<WaveNodeState, number>;

export interface WaveRequest {
  collection: string;
  target: WaveTarget;
  description: string;
  by: string;
}

export interface WaveSummary {
  id: number;
  collection: string;
  state: WaveState;
  target: WaveTarget;
  description: string;
  snapshot: number;
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  currentBatch: number | null;
  batchCount: number;
  estimate: WaveEstimate;
  counts: WaveCounts;
  cycles: { id: number; batch: number; packages: string[] }[];
  waitingFor: string | null;
}

export interface WaveNodeView {
  package: string;
  batch: number;
  cycle: number | null;
  state: WaveNodeState;
  buildId: number | null;
  expectedSeconds: number;
  estimate: 'history' | 'collection' | 'default';
  reason: string | null;
}

export interface WaveDetail extends WaveSummary {
  batches: { index: number; state: 'waiting' | 'running' | 'done'; expectedSeconds: number; counts: WaveCounts }[];
  nodes: WaveNodeView[];
  /** Empty when there are more than maxDetailEdges (edgeCount says how many). */
  edges: { from: string; to: string }[];
  edgeCount: number;
}

/**
 * A wave detail lists its edges only up to this many: a whole-archive wave has millions (every
 * package depends on the base buildroot's sources), far more than anyone draws or reads.
 */
export const maxDetailEdges = 20_000;

const emptyCounts = (): WaveCounts => Object.fromEntries(waveNodeStates.map((s) => [s, 0])) as WaveCounts;

/** Mean duration of each package's last 5 finished builds, and the collection's median. */
async function durationHistory(db: Db, collectionId: number): Promise<DurationHistory> {
  const { rows } = await sql<{ name: string; seconds: number }>`
    select p.name, avg(x.duration_ms) / 1000.0 as seconds
    from packages p cross join lateral (
      select b.duration_ms from builds b
      where b.package_id = p.id and b.state in ('succeeded', 'failed') and b.duration_ms is not null
      order by b.id desc limit 5) x
    where p.collection_id = ${collectionId}
    group by p.name`.execute(db);
  const { rows: [median] } = await sql<{ seconds: number | null }>`
    select percentile_cont(0.5) within group (order by b.duration_ms) / 1000.0 as seconds
    from builds b join packages p on p.id = b.package_id
    where p.collection_id = ${collectionId} and b.state in ('succeeded', 'failed') and b.duration_ms is not null`.execute(db);
  return {
    perPackage: new Map(rows.map((r) => [r.name, Number(r.seconds)])),
    collectionMedian: median?.seconds == null ? null : Number(median.seconds),
  };
}

/** Which packages a target means, checked against the collection. */
async function targetMembers(db: Db, collectionId: number, collection: string, target: WaveTarget, dependents: Map<string, Set<string>>, sourceOfBinary: Map<string, string>): Promise<Set<string>> {
  const packages = await db.selectFrom('packages').select(['name', 'tracked']).where('collection_id', '=', collectionId).execute();
  const tracked = new Set(packages.filter((p) => p.tracked).map((p) => p.name));
  if (target.kind === 'affected' && typeof target.value === 'string') {
    const known = packages.some((p) => p.name === target.value);
    const root = known ? target.value : sourceOfBinary.get(target.value);
    if (root === undefined) throw notFound('package or binary', `${collection}/${target.value}`);
    return affectedSet(dependents, root, (n) => tracked.has(n));
  }
  if (target.kind === 'group' && typeof target.value === 'string') {
    const group = await findGroup(db, parseGroupRef(target.value, 'group'));
    const members = await db.selectFrom('package_group_members').select('package_name').where('group_id', '=', group.id).execute();
    return new Set(members.map((m) => m.package_name).filter((n) => tracked.has(n)));
  }
  const names = target.value as string[];
  for (const [i, name] of names.entries()) {
    if (!tracked.has(name)) throw invalidInput(`packages[${i}]`, `'${name}' is not a tracked package of collection ${collection}`);
  }
  return new Set(names);
}

/** Computes and stores a wave (state planned, nothing queued) and appends `wave.planned`. */
export async function planWave(db: Db, request: WaveRequest, cap: number): Promise<WaveDetail> {
  const collection = await db.selectFrom('collections').select(['id', 'name', 'current_snapshot_id']).where('name', '=', request.collection).executeTakeFirst();
  if (!collection) throw notFound('collection', request.collection);
  if (collection.current_snapshot_id === null) {
    throw new RippleError(ErrorCode.Conflict, `collection ${collection.name} has no resolved snapshot yet: nothing to plan on`, { field: 'collection' });
  }
  const snapshotId = collection.current_snapshot_id;
  const graph = await buildGraph(db, collection.id, snapshotId);
  const members = await targetMembers(db, collection.id, collection.name, request.target, graph.dependents, graph.sourceOfBinary);
  if (members.size === 0) {
    throw invalidInput(request.target.kind === 'packages' ? 'packages' : request.target.kind, `nothing to rebuild: no tracked package of ${collection.name} is in the wave's target`);
  }
  const order = orderIntoBatches(members, graph.dependents);
  const { nodes, estimate } = estimateOrder(order, await durationHistory(db, collection.id), cap);
  const id = await withTransaction(db, async (trx) => {
    const ids = new Map((await trx.selectFrom('packages').select(['id', 'name']).where('collection_id', '=', collection.id).execute()).map((p) => [p.name, p.id]));
    const wave = await trx.insertInto('waves').values({
      collection_id: collection.id, snapshot_id: snapshotId, target: JSON.stringify(request.target), description: request.description,
      batch_count: order.batches.length, estimate: JSON.stringify(estimate), created_by: request.by,
    }).returning('id').executeTakeFirstOrThrow();
    await storeWaveNodes(trx, wave.id, order, nodes, ids);
    await appendEvents(trx, [{ type: 'wave.planned', collectionId: collection.id, payload: {
      wave_id: wave.id, collection: collection.name, target: request.target, builds: estimate.builds, batches: order.batches.length,
      cycles: order.cycles.length, expected_seconds: estimate.expectedSeconds, by: request.by,
    } }]);
    return wave.id;
  });
  return waveDetail(db, id);
}

/**
 * Stores a wave's nodes with their batches, estimates and dependents inside the wave. One statement
 * per 20,000 nodes whatever the wave's size: unnest takes one array per column, and the dependents
 * travel as array literals (unnest would flatten a two-dimensional array).
 */
export async function storeWaveNodes(trx: Trx, waveId: number, order: WaveOrder, nodes: Map<string, NodeEstimate>, ids: Map<string, number>): Promise<void> {
  const dependents = new Map<string, number[]>();
  for (const [from, to] of order.edges) {
    const list = dependents.get(from);
    if (list) list.push(ids.get(to)!);
    else dependents.set(from, [ids.get(to)!]);
  }
  const names = [...order.batchOf.keys()];
  for (let at = 0; at < names.length; at += 20000) {
    const chunk = names.slice(at, at + 20000);
    await sql`insert into wave_nodes (wave_id, package_id, batch, cycle, expected_seconds, estimate_source, dependents)
      select ${waveId}, x.package_id, x.batch, x.cycle, x.seconds, x.source, x.dependents::bigint[]
      from unnest(${chunk.map((n) => ids.get(n)!)}::bigint[], ${chunk.map((n) => order.batchOf.get(n)!)}::int[],
        ${chunk.map((n) => order.cycleOf.get(n) ?? null)}::int[], ${chunk.map((n) => nodes.get(n)!.seconds)}::int[],
        ${chunk.map((n) => nodes.get(n)!.source)}::text[], ${chunk.map((n) => `{${(dependents.get(n) ?? []).join(',')}}`)}::text[])
        as x(package_id, batch, cycle, seconds, source, dependents)`.execute(trx);
  }
}

async function countsOf(db: Db, waveIds: number[]): Promise<Map<number, WaveCounts>> {
  const result = new Map(waveIds.map((id) => [id, emptyCounts()]));
  if (waveIds.length === 0) return result;
  const rows = await db.selectFrom('wave_state_counts').select(['wave_id', 'state', 'nodes']).where('wave_id', 'in', waveIds).execute();
  for (const r of rows) result.get(r.wave_id)![r.state] = r.nodes;
  return result;
}

export type WaveAction = 'start' | 'pause' | 'resume' | 'cancel';
const allowedFrom: Record<WaveAction, WaveState[]> = {
  start: ['planned'], pause: ['running'], resume: ['paused'], cancel: ['planned', 'running', 'paused'],
};
const eventOf: Record<WaveAction, string> = { start: 'wave.started', pause: 'wave.paused', resume: 'wave.resumed', cancel: 'wave.canceled' };

/**
 * start, pause, resume or cancel a wave. Cancel cancels the queued builds at once and asks the
 * running ones to stop (their nodes become canceled when their workers stop them).
 */
export async function transitionWave(db: Db, id: number, action: WaveAction, by: string): Promise<WaveSummary> {
  await withTransaction(db, async (trx) => {
    const wave = await trx.selectFrom('waves as w').innerJoin('collections as c', 'c.id', 'w.collection_id')
      .select(['w.id', 'w.state', 'w.collection_id', 'c.name as collection']).where('w.id', '=', id).forUpdate('w').executeTakeFirst();
    if (!wave) throw notFound('wave', String(id));
    if (!allowedFrom[action].includes(wave.state)) {
      throw new RippleError(ErrorCode.Conflict, `cannot ${action} wave ${id}: it is ${wave.state} (${action} needs ${allowedFrom[action].join(' or ')})`, { field: 'state', state: wave.state });
    }
    const payload: Record<string, unknown> = { wave_id: id, collection: wave.collection, by };
    if (action === 'start') {
      await trx.updateTable('waves').set({ state: 'running', started_at: new Date() }).where('id', '=', id).execute();
    } else if (action === 'pause' || action === 'resume') {
      await trx.updateTable('waves').set({ state: action === 'pause' ? 'paused' : 'running' }).where('id', '=', id).execute();
    } else {
      await trx.updateTable('waves').set({ state: 'canceled', finished_at: new Date(), waiting_for: null }).where('id', '=', id).execute();
      await trx.updateTable('wave_nodes').set({ state: 'canceled', reason: `wave canceled by ${by}` }).where('wave_id', '=', id).where('state', '=', 'pending').execute();
      const active = await trx.selectFrom('wave_nodes').select('build_id').where('wave_id', '=', id).where('state', 'in', ['queued', 'building'])
        .where('build_id', 'is not', null).execute();
      const canceled = await cancelBuilds(trx, active.map((a) => a.build_id!), by);
      const now = canceled.filter((c) => c.state === 'canceled').map((c) => c.id);
      if (now.length) {
        await trx.updateTable('wave_nodes').set({ state: 'canceled', reason: `wave canceled by ${by}` }).where('wave_id', '=', id).where('build_id', 'in', now).execute();
      }
      payload.counts = (await countsOf(trx, [id])).get(id);
    }
    await appendEvents(trx, [{ type: eventOf[action], collectionId: wave.collection_id, payload }]);
  });
  return (await listWaves(db, { id }))[0]!;
}

interface ChangedNode { wave_id: number; package_id: number; name: string; state: WaveNodeState; build_id: number | null; reason: string | null }

/**
 * The waves' share of a scheduler tick (call it inside the tick's transaction, under its lock):
 * follow the builds of queued and building nodes, block dependents of failed ones, mark
 * unbuildable pending nodes, and move every running wave whose current batch is done to its next
 * batch (after the rebuild policy allows it) or to finished. Appends `wave.progress` and
 * `wave.finished` events.
 */
export async function advanceWaves(trx: Trx, policy: RebuildPolicy): Promise<void> {
  const changed: ChangedNode[] = [];
  const { rows: followed } = await sql<ChangedNode>`
    with next as (
      select n.wave_id, n.package_id, b.id as build_id,
        case b.state when 'queued' then 'queued' when 'running' then 'building' when 'succeeded' then 'built'
          when 'canceled' then 'canceled' else 'failed' end as state,
        case when b.state in ('failed', 'infra-failed') then 'build ' || b.id || ' ' || coalesce(b.outcome, b.state)
          when b.state = 'canceled' then 'build ' || b.id || ' canceled by ' || coalesce(b.canceled_by, '?') end as reason
      from wave_nodes n join builds b on b.id = n.build_id
      where n.state in ('queued', 'building'))
    update wave_nodes n set state = next.state, reason = next.reason
    from next join packages p on p.id = next.package_id
    where n.wave_id = next.wave_id and n.package_id = next.package_id and n.state <> next.state
    returning n.wave_id, n.package_id, p.name, n.state, n.build_id, n.reason`.execute(trx);
  changed.push(...followed);

  // A failed or canceled build: its pending dependents inside the wave will not be built.
  for (const node of followed.filter((n) => n.state === 'failed' || n.state === 'canceled')) {
    const reason = `dependency ${node.name} ${node.state === 'failed' ? 'failed' : 'was canceled'} (build ${node.build_id})`;
    const { rows } = await sql<ChangedNode>`
      with recursive down(package_id) as (
        select unnest(e.dependents) from wave_nodes e where e.wave_id = ${node.wave_id} and e.package_id = ${node.package_id}
        union
        select unnest(e.dependents) from down d join wave_nodes e on e.wave_id = ${node.wave_id} and e.package_id = d.package_id)
      update wave_nodes n set state = 'blocked', reason = ${reason}
      from down join packages p on p.id = down.package_id
      where n.wave_id = ${node.wave_id} and n.package_id = down.package_id and n.state = 'pending'
      returning n.wave_id, n.package_id, p.name, n.state, n.build_id, n.reason`.execute(trx);
    changed.push(...rows);
  }

  // Pending nodes of current batches that can never build: blocked, so the wave moves on.
  const { rows: unbuildable } = await sql<ChangedNode>`
    update wave_nodes n set state = 'blocked',
      reason = case when not p.tracked then 'untracked' when p.blocked then 'blocked' when p.resolved is null then 'not resolved yet'
        else 'unresolvable' end
    from waves w, packages p
    where w.id = n.wave_id and p.id = n.package_id and w.state = 'running' and n.batch = w.current_batch and n.state = 'pending'
      and p.collection_id = w.collection_id and (not p.tracked or p.blocked or p.resolved is not true)
    returning n.wave_id, n.package_id, p.name, n.state, n.build_id, n.reason`.execute(trx);
  changed.push(...unbuildable);

  const running = await trx.selectFrom('waves as w').innerJoin('collections as c', 'c.id', 'w.collection_id')
    .select(['w.id', 'w.collection_id', 'c.name as collection', 'w.snapshot_id', 'w.target', 'w.current_batch', 'w.batch_count', 'w.waiting_for'])
    .where('w.state', '=', 'running').orderBy('w.id').execute();
  const moved = new Map<number, { batch: number | null; waitingFor: string | null; finished: boolean }>();
  for (const wave of running) {
    if (wave.current_batch !== null) {
      const busy = await trx.selectFrom('wave_nodes').select('package_id').where('wave_id', '=', wave.id).where('batch', '=', wave.current_batch)
        .where('state', 'in', unfinished).limit(1).executeTakeFirst();
      if (busy) continue;
    }
    const next = await trx.selectFrom('wave_nodes').select((eb) => eb.fn.min<number>('batch').as('batch'))
      .where('wave_id', '=', wave.id).where('state', '=', 'pending').where('batch', '>', wave.current_batch ?? -1).executeTakeFirst();
    if (next?.batch == null) {
      await trx.updateTable('waves').set({ state: 'finished', current_batch: null, waiting_for: null, finished_at: new Date() }).where('id', '=', wave.id).execute();
      moved.set(wave.id, { batch: null, waitingFor: null, finished: true });
      continue;
    }
    const waitingFor = await gate(trx, policy, wave, next.batch);
    if (waitingFor !== null) {
      if (waitingFor !== wave.waiting_for) {
        await trx.updateTable('waves').set({ waiting_for: waitingFor }).where('id', '=', wave.id).execute();
        moved.set(wave.id, { batch: wave.current_batch, waitingFor, finished: false });
      }
      continue;
    }
    await trx.updateTable('waves').set({ current_batch: next.batch, waiting_for: null }).where('id', '=', wave.id).execute();
    moved.set(wave.id, { batch: next.batch, waitingFor: null, finished: false });
  }

  const touched = [...new Set([...changed.map((c) => c.wave_id), ...moved.keys()])].sort((a, b) => a - b);
  if (touched.length === 0) return;
  await appendEvents(trx, await progressEvents(trx, touched, changed, moved));
}

/**
 * The rebuild policy for a wave about to queue `batch`: a wave of everything affected by X
 * rebuilds X's dependents only while the decision about X is satisfied. X itself (batch 0 when
 * it is tracked) is never held back.
 */
async function gate(trx: Trx, policy: RebuildPolicy, wave: { id: number; collection_id: number; collection: string; snapshot_id: number; target: WaveTarget }, batch: number): Promise<string | null> {
  if (wave.target.kind !== 'affected') return null;
  const root = wave.target.value;
  const others = await trx.selectFrom('wave_nodes as n').innerJoin('packages as p', 'p.id', 'n.package_id').select('p.name')
    .where('n.wave_id', '=', wave.id).where('n.batch', '=', batch).where('p.name', '<>', root).limit(1).executeTakeFirst();
  if (!others) return null;
  const verdict = await policy(trx, { collectionId: wave.collection_id, collection: wave.collection, snapshotId: wave.snapshot_id, names: [root] });
  return verdict.allowed ? null : verdict.reason;
}

async function progressEvents(trx: Trx, waveIds: number[], changed: ChangedNode[], moved: Map<number, { batch: number | null; waitingFor: string | null; finished: boolean }>): Promise<NewEvent[]> {
  const waves = await trx.selectFrom('waves as w').innerJoin('collections as c', 'c.id', 'w.collection_id')
    .select(['w.id', 'w.collection_id', 'c.name as collection', 'w.current_batch', 'w.batch_count', 'w.waiting_for', 'w.state'])
    .where('w.id', 'in', waveIds).orderBy('w.id').execute();
  const counts = await countsOf(trx, waveIds);
  const events: NewEvent[] = [];
  for (const wave of waves) {
    const common = { wave_id: wave.id, collection: wave.collection };
    const nodes = changed.filter((c) => c.wave_id === wave.id);
    if (nodes.length || moved.get(wave.id)?.finished === false) {
      events.push({ type: 'wave.progress', collectionId: wave.collection_id, payload: {
        ...common, batch: wave.current_batch, batches: wave.batch_count, counts: counts.get(wave.id), waiting_for: wave.waiting_for,
        changed: nodes.slice(0, 200).map((n) => ({ package: n.name, state: n.state, build_id: n.build_id, reason: n.reason })),
        change_count: nodes.length,
      } });
    }
    if (moved.get(wave.id)?.finished) events.push({ type: 'wave.finished', collectionId: wave.collection_id, payload: { ...common, counts: counts.get(wave.id) } });
  }
  return events;
}

export interface QueuedWaveBuild { waveId: number; packageId: number; package: string; buildId: number }

/** The tick queued builds for wave nodes: link them and append `wave.progress`. */
export async function recordWaveBuilds(trx: Trx, queued: QueuedWaveBuild[]): Promise<void> {
  if (queued.length === 0) return;
  await sql`update wave_nodes n set state = 'queued', build_id = x.build_id, reason = null
    from unnest(${queued.map((q) => q.waveId)}::bigint[], ${queued.map((q) => q.packageId)}::bigint[], ${queued.map((q) => q.buildId)}::bigint[])
      as x(wave_id, package_id, build_id)
    where n.wave_id = x.wave_id and n.package_id = x.package_id`.execute(trx);
  const changed: ChangedNode[] = queued.map((q) => ({ wave_id: q.waveId, package_id: q.packageId, name: q.package, state: 'queued', build_id: q.buildId, reason: null }));
  await appendEvents(trx, await progressEvents(trx, [...new Set(queued.map((q) => q.waveId))], changed, new Map()));
}

// Read side ---------------------------------------------------------------------------------------

export interface WaveFilter {
  id?: number;
  collection?: string;
  state?: WaveState;
  limit?: number;
}

export async function listWaves(db: Db, filter: WaveFilter = {}): Promise<WaveSummary[]> {
  let query = db.selectFrom('waves as w').innerJoin('collections as c', 'c.id', 'w.collection_id').innerJoin('snapshots as s', 's.id', 'w.snapshot_id')
    .select(['w.id', 'c.name as collection', 'w.state', 'w.target', 'w.description', 's.sequence as snapshot', 'w.created_by', 'w.created_at',
      'w.started_at', 'w.finished_at', 'w.current_batch', 'w.batch_count', 'w.estimate', 'w.waiting_for']);
  if (filter.id !== undefined) query = query.where('w.id', '=', filter.id);
  if (filter.collection !== undefined) query = query.where('c.name', '=', filter.collection);
  if (filter.state !== undefined) query = query.where('w.state', '=', filter.state);
  const rows = await query.orderBy('w.id', 'desc').limit(filter.limit ?? 100).execute();
  const ids = rows.map((r) => r.id);
  const counts = await countsOf(db, ids);
  const cycleRows = ids.length === 0 ? [] : await db.selectFrom('wave_nodes as n').innerJoin('packages as p', 'p.id', 'n.package_id')
    .select(['n.wave_id', 'n.cycle', 'n.batch', 'p.name']).where('n.wave_id', 'in', ids).where('n.cycle', 'is not', null)
    .orderBy('n.cycle').orderBy('p.name').execute();
  return rows.map((r) => {
    const cycles = new Map<number, { id: number; batch: number; packages: string[] }>();
    for (const c of cycleRows.filter((x) => x.wave_id === r.id)) {
      const entry = cycles.get(c.cycle!) ?? { id: c.cycle!, batch: c.batch, packages: [] };
      entry.packages.push(c.name);
      cycles.set(c.cycle!, entry);
    }
    return {
      id: r.id, collection: r.collection, state: r.state, target: r.target, description: r.description, snapshot: r.snapshot,
      createdBy: r.created_by, createdAt: r.created_at, startedAt: r.started_at, finishedAt: r.finished_at,
      currentBatch: r.current_batch, batchCount: r.batch_count, estimate: r.estimate, counts: counts.get(r.id)!,
      cycles: [...cycles.values()], waitingFor: r.state === 'paused' ? 'paused' : r.waiting_for,
    };
  });
}

export async function waveDetail(db: Db, id: number, maxEdges = maxDetailEdges): Promise<WaveDetail> {
  const [summary] = await listWaves(db, { id });
  if (!summary) throw notFound('wave', String(id));
  const nodes = await db.selectFrom('wave_nodes as n').innerJoin('packages as p', 'p.id', 'n.package_id')
    .select(['p.name as package', 'n.batch', 'n.cycle', 'n.state', 'n.build_id as buildId', 'n.expected_seconds as expectedSeconds',
      'n.estimate_source as estimate', 'n.reason'])
    .where('n.wave_id', '=', id).orderBy('n.batch').orderBy('p.name').execute();
  const { rows: [counted] } = await sql<{ edges: string | null }>`select sum(cardinality(dependents)) as edges from wave_nodes where wave_id = ${id}`.execute(db);
  const edgeCount = Number(counted?.edges ?? 0);
  const edges = edgeCount > maxEdges ? [] : (await sql<{ from: string; to: string }>`
    select a.name as from, b.name as to
    from wave_nodes n cross join unnest(n.dependents) as d(id) join packages a on a.id = n.package_id join packages b on b.id = d.id
    where n.wave_id = ${id} order by a.name, b.name`.execute(db)).rows;
  const batches: WaveDetail['batches'] = Array.from({ length: summary.batchCount }, (_x, index) => ({
    index, state: 'waiting' as const, expectedSeconds: summary.estimate.batchSeconds?.[index] ?? 0, counts: emptyCounts(),
  }));
  for (const node of nodes) batches[node.batch]!.counts[node.state] += 1;
  for (const batch of batches) {
    const open = unfinished.some((s) => batch.counts[s] > 0);
    batch.state = !open ? 'done' : batch.index === summary.currentBatch ? 'running' : 'waiting';
  }
  // Counted from the edges when listed: a package deleted since leaves its id in the arrays.
  return { ...summary, batches, nodes, edges, edgeCount: edgeCount > maxEdges ? edgeCount : edges.length };
}
