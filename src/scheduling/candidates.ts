/**
 * What the scheduler knows about each package: its flags, the collection it is in, its last and
 * active builds, and the dependency changes not yet applied by a build. Two statements, one rule:
 * `rankCandidates` ranks every package that can be due for the tick from columns of the package row
 * (its last finished build and the distances of its unapplied changes, kept by triggers, sql/0010),
 * and `loadCandidates` loads the full rows (changes with NEVRAs, active build, wave) of the few
 * packages a tick looks at and of the per-package schedule view. Both compute priorities and
 * reasons with the functions below, so they always agree.
 */
import { sql } from 'kysely';
import { executePrepared, type Db } from '../db/database.ts';
import type { BuildBackend, BuildOutcome, BuildState } from '../db/schema.ts';
import { computePriority, timeCurve, type PriorityBreakdown, type PriorityConfig } from './priority.ts';

export interface UnappliedChange {
  name: string;
  kind: string;
  distance: number | null;
  previous: string | null;
  current: string | null;
}

/** The columns a priority is computed from. */
interface PriorityColumns {
  manual_priority: number;
  static_priority: number;
  coefficient: number;
  last_outcome: BuildOutcome | null;
  /** A running wave whose current batch holds this package, still pending (waves.ts). */
  wave_id: number | null;
}

export interface CandidateRow extends PriorityColumns {
  id: number;
  name: string;
  collection_id: number;
  collection: string;
  collection_paused: boolean;
  collection_state: string;
  backend: BuildBackend;
  arch: string | null;
  snapshot_id: number | null;
  snapshot_sequence: number | null;
  tracked: boolean;
  blocked: boolean;
  resolved: boolean | null;
  resolution_sequence: number | null;
  snooze_until: Date | null;
  created_at: Date;
  last_build_id: number | null;
  last_finished_at: Date | null;
  active_build_id: number | null;
  active_build_state: BuildState | null;
  changes: UnappliedChange[];
  wave_batch: number | null;
}

export interface Candidate {
  row: CandidateRow;
  priority: PriorityBreakdown;
  /** What the tick orders by: the priority, raised to the threshold for a wave's build. */
  rank: number;
  /** Why the package cannot be scheduled now, apart from priority and blocking (empty: it can). */
  reasons: string[];
}

/** A package the tick may queue, as `rankCandidates` ranks it (`loadCandidates` has the rest). */
export interface RankedPackage {
  id: number;
  collection_id: number;
  name: string;
  rank: number;
}

const nevraSql = (alias: string) => sql.raw(`${alias}.name || '-' || case when ${alias}.epoch > 0 then ${alias}.epoch || ':' else '' end || ${alias}.version
  || case when ${alias}.release <> '' then '-' || ${alias}.release else '' end || '.' || ${alias}.arch`);

/** The full rows of the given packages. */
export async function loadCandidates(db: Db, packageIds: readonly number[]): Promise<CandidateRow[]> {
  // Unapplied changes: the per-snapshot changes (baseline previous_resolution) of every snapshot
  // after the one the last build ran against, one per dependency name (the nearest distance).
  const { rows } = await sql<CandidateRow>`
    select p.id, p.name, p.collection_id, c.name as collection, c.paused as collection_paused, c.state as collection_state,
      c.priority_coefficient as coefficient, c.build_backend as backend,
      coalesce(p.arch_override[1], c.architectures[1]) as arch,
      c.current_snapshot_id as snapshot_id, cs.sequence as snapshot_sequence,
      p.tracked, p.blocked, p.resolved, rs.sequence as resolution_sequence, p.snooze_until,
      p.manual_priority, p.static_priority, p.created_at,
      p.last_build_id, p.last_build_outcome as last_outcome, p.last_build_finished_at as last_finished_at,
      ab.id as active_build_id, ab.state as active_build_state,
      coalesce(ch.changes, '[]'::jsonb) as changes, wv.wave_id, wv.batch as wave_batch
    from packages p
    join collections c on c.id = p.collection_id
    left join snapshots cs on cs.id = c.current_snapshot_id
    left join resolutions r on r.id = p.last_resolution_id
    left join snapshots rs on rs.id = r.snapshot_id
    left join snapshots ls on ls.id = p.last_build_snapshot_id
    left join lateral (
      select b.id, b.state from builds b where b.package_id = p.id and b.state in ('queued', 'running') limit 1
    ) ab on true
    left join lateral (
      select jsonb_agg(jsonb_build_object('name', x.dependency_name, 'kind', x.kind, 'distance', x.distance,
        'previous', x.previous, 'current', x.current) order by x.distance nulls last, x.dependency_name) as changes
      from (
        select distinct on (dc.dependency_name) dc.dependency_name, dc.kind, dc.distance,
          ${nevraSql('pb')} as previous, ${nevraSql('cb')} as current
        from package_dependency_changes dc
        join snapshots s on s.id = dc.snapshot_id
        left join binary_packages pb on pb.id = dc.previous_binary_package_id
        left join binary_packages cb on cb.id = dc.current_binary_package_id
        where dc.package_id = p.id and dc.baseline = 'previous_resolution' and s.sequence > coalesce(ls.sequence, 0)
        order by dc.dependency_name, dc.distance nulls last, s.sequence desc
      ) x
    ) ch on true
    left join lateral (
      select n.wave_id, n.batch from waves w
      join wave_nodes n on n.wave_id = w.id and n.package_id = p.id and n.batch = w.current_batch and n.state = 'pending'
      where w.state = 'running' and w.waiting_for is null
      order by n.wave_id limit 1
    ) wv on true
    where p.id = any(${packageIds}::bigint[])`.execute(db);
  return rows;
}

interface RankRow extends PriorityColumns {
  id: number;
  collection_id: number;
  name: string;
  /** The last build's finish, or when the package was added (ms since the epoch: thousands of rows, no Date parsing). */
  since_ms: number;
  /** Of the unapplied changes, in the order of CandidateRow.changes; null when there are none. */
  distances: (number | null)[] | null;
}

/**
 * Every package the tick may queue now (all reasons clear, priority at the threshold or a wave's
 * build), ranked. Reads only the packages that can be due, each through an index: a running wave's
 * current batch, unapplied changes, a manual or static priority, and of the rest (whose priority is
 * the time priority alone, plus the failed-build one) those whose last build is older than the time
 * at which that reaches the threshold less 1 (a margin for float rounding). Their exact priority is
 * computed here, as for every full row.
 */
export async function rankCandidates(db: Db, config: PriorityConfig, now: Date): Promise<RankedPackage[]> {
  const collections = await db.selectFrom('collections').select(['id', 'priority_coefficient'])
    .where('paused', '=', false).where('state', '=', 'ok').where('current_snapshot_id', 'is not', null).execute();
  if (collections.length === 0) return [];
  const since = sql`coalesce(p.last_build_finished_at, p.created_at)`;
  // Each branch reads its packages' columns through its index (a join back to packages by id
  // would read all of them); union drops the duplicates.
  const columns = sql`p.id, p.collection_id, p.name, p.manual_priority, p.static_priority, p.last_build_outcome as last_outcome,
    ${since} as since, p.unapplied_change_distances as distances, p.tracked, p.blocked, p.resolved, p.snooze_until`;
  // One branch per collection and kind, with the time as a constant: the planner then knows how
  // few rows the index gives.
  const dueByTime = collections.flatMap((c) => [
    { due: dueBefore(config, now, c.priority_coefficient, 0), failed: sql`` },
    { due: dueBefore(config, now, c.priority_coefficient, config.failedBuildPriority), failed: sql`and p.last_build_outcome in ('regression', 'failed')` },
  ].flatMap(({ due, failed }) => (due === null ? [] : [sql`union select ${columns} from packages p
    where p.collection_id = ${c.id} and p.tracked and not p.blocked and p.resolved ${failed} and ${since} <= ${due}::timestamptz`])));
  // Prepared: its text only changes with the set of collections, and planning it took a third of its time.
  const rows = await executePrepared(db, sql<RankRow>`
    with wv as (
      -- Only the current batches of running waves.
      select distinct on (n.package_id) n.package_id, n.wave_id from waves w
      join wave_nodes n on n.wave_id = w.id and n.batch = w.current_batch and n.state = 'pending'
      where w.state = 'running' and w.waiting_for is null
      order by n.package_id, n.wave_id
    ), due as (
      select ${columns} from wv join packages p on p.id = wv.package_id
      union select ${columns} from packages p where p.unapplied_change_distances is not null
      union select ${columns} from packages p where p.manual_priority <> 0 or p.static_priority <> 0
      ${sql.join(dueByTime, sql` `)}
    )
    select d.id, d.collection_id, d.name, d.manual_priority, d.static_priority, c.priority_coefficient as coefficient,
      d.last_outcome, extract(epoch from d.since)::float8 * 1000 as since_ms, d.distances, wv.wave_id
    from due d
    join collections c on c.id = d.collection_id
    left join wv on wv.package_id = d.id
    where d.collection_id = any(${collections.map((c) => c.id)}::bigint[]) and d.tracked and not d.blocked and d.resolved
      and (d.snooze_until is null or d.snooze_until <= least(now(), ${now}::timestamptz))
      and d.id not in (select a.package_id from builds a where a.state in ('queued', 'running'))`);
  return rows.flatMap((r) => {
    const priority = candidatePriority(r, r.since_ms, r.distances ?? [], config, now);
    return belowThreshold(r, priority, config) ? [] : [{ id: r.id, collection_id: r.collection_id, name: r.name, rank: rankOf(r, priority, config) }];
  });
}

/** Later than any package's last build: all of them. */
const always = new Date(8.64e15);

/**
 * In a collection with this coefficient, packages without changes, flags or a wave whose last build
 * (or creation) is at or before the returned time may have reached the threshold: their priority
 * is (build + time) x coefficient, and time grows with the hours since. Null: none of them.
 */
function dueBefore(config: PriorityConfig, now: Date, coefficient: number, build: number): Date | null {
  const { a, b } = timeCurve(config);
  const target = config.threshold - 1;
  if (coefficient <= 0) return target <= 0 ? always : null;
  const time = target / coefficient - build;
  if (!(Number.isFinite(a) && Number.isFinite(b) && a > 0) || time <= config.timeMinimum) return always;
  // Further back than 10^7 hours (1141 years) is before any package.
  return new Date(now.getTime() - 3_600_000 * 10 ** Math.min((time - b) / a, 7));
}

/** Reasons that hold regardless of priority and blocking, in Koschei's order. */
export function unschedulableReasons(row: CandidateRow, now: Date): string[] {
  const reasons: string[] = [];
  if (row.blocked) reasons.push('blocked');
  if (!row.tracked) reasons.push('untracked');
  if (row.collection_paused) reasons.push('collection paused');
  if (row.snapshot_id === null) reasons.push('collection has no snapshot yet');
  else if (row.collection_state !== 'ok') reasons.push(`collection base buildroot is ${row.collection_state}`);
  if (row.resolved === null) reasons.push('not resolved yet');
  else if (!row.resolved) reasons.push(`unresolved since snapshot ${row.resolution_sequence ?? '?'}`);
  if (row.snooze_until && row.snooze_until > now) reasons.push(`snoozed until ${row.snooze_until.toISOString()}`);
  if (row.active_build_id !== null) reasons.push(`a build is ${row.active_build_state} (build ${row.active_build_id})`);
  return reasons;
}

function candidatePriority(row: PriorityColumns, sinceMs: number, changeDistances: readonly (number | null)[], config: PriorityConfig, now: Date): PriorityBreakdown {
  return computePriority({
    manual: row.manual_priority,
    static: row.static_priority,
    coefficient: row.coefficient,
    hoursSinceLastBuild: (now.getTime() - sinceMs) / 3_600_000,
    changeDistances,
    lastOutcome: row.last_outcome,
  }, config);
}

// A wave asked for this build: the threshold does not apply, its place in the queue does.
const belowThreshold = (row: PriorityColumns, priority: PriorityBreakdown, config: PriorityConfig) => row.wave_id === null && priority.total < config.threshold;
const rankOf = (row: PriorityColumns, priority: PriorityBreakdown, config: PriorityConfig) => (row.wave_id === null ? priority.total : Math.max(priority.total, config.threshold));

export function evaluateCandidate(row: CandidateRow, config: PriorityConfig, now: Date): Candidate {
  const priority = candidatePriority(row, (row.last_finished_at ?? row.created_at).getTime(), row.changes.map((c) => c.distance), config, now);
  const reasons = unschedulableReasons(row, now);
  if (belowThreshold(row, priority, config)) reasons.push(`priority ${priority.total} below threshold ${config.threshold}`);
  return { row, priority, reasons, rank: rankOf(row, priority, config) };
}

/** The scheduling reason stored on a build: what made its priority. */
export function buildReason(candidate: Candidate): Record<string, unknown> {
  const { row, priority } = candidate;
  if (row.wave_id !== null) return { kind: 'wave', wave_id: row.wave_id, batch: row.wave_batch, priority, changes: row.changes.slice(0, 50), change_count: row.changes.length };
  const kind = priority.manual > 0 ? 'manual'
    : priority.dependency > 0 ? 'dependency-change'
      : priority.build + priority.retry > 0 ? 'failed-retry'
        : priority.static >= priority.time * priority.coefficient ? 'static' : 'time';
  return { kind, priority, changes: row.changes.slice(0, 50), change_count: row.changes.length, last_outcome: row.last_outcome };
}
