/**
 * What the scheduler knows about each package: its flags, the collection it is in, its last and
 * active builds, and the dependency changes not yet applied by a build. One statement serves the
 * scheduler tick (every package of every collection) and the per-package schedule view, so both
 * always agree on priorities and on why a package is not scheduled.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { BuildBackend, BuildOutcome, BuildState } from '../db/schema.ts';
import { computePriority, type PriorityBreakdown, type PriorityConfig } from './priority.ts';

export interface UnappliedChange {
  name: string;
  kind: string;
  distance: number | null;
  previous: string | null;
  current: string | null;
}

export interface CandidateRow {
  id: number;
  name: string;
  collection_id: number;
  collection: string;
  collection_paused: boolean;
  collection_state: string;
  coefficient: number;
  backend: BuildBackend;
  arch: string | null;
  snapshot_id: number | null;
  snapshot_sequence: number | null;
  tracked: boolean;
  blocked: boolean;
  resolved: boolean | null;
  resolution_sequence: number | null;
  snooze_until: Date | null;
  manual_priority: number;
  static_priority: number;
  created_at: Date;
  last_build_id: number | null;
  last_outcome: BuildOutcome | null;
  last_finished_at: Date | null;
  active_build_id: number | null;
  active_build_state: BuildState | null;
  changes: UnappliedChange[];
  /** A running wave whose current batch holds this package, still pending (waves.ts). */
  wave_id: number | null;
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

export interface CandidateFilter {
  packageId?: number;
  /** Only packages the flags, collection and builds allow (the tick's fast path). */
  schedulableOnly?: boolean;
}

const nevraSql = (alias: string) => sql.raw(`${alias}.name || '-' || case when ${alias}.epoch > 0 then ${alias}.epoch || ':' else '' end || ${alias}.version
  || case when ${alias}.release <> '' then '-' || ${alias}.release else '' end || '.' || ${alias}.arch`);

export async function loadCandidates(db: Db, filter: CandidateFilter = {}): Promise<CandidateRow[]> {
  const only = filter.schedulableOnly
    ? sql`and p.tracked and not p.blocked and p.resolved and not c.paused and c.state = 'ok' and (p.snooze_until is null or p.snooze_until <= now())
          and not exists (select 1 from builds a where a.package_id = p.id and a.state in ('queued', 'running'))`
    : sql``;
  const one = filter.packageId === undefined ? sql`` : sql`and p.id = ${filter.packageId}`;
  // Unapplied changes: the per-snapshot changes (baseline previous_resolution) of every snapshot
  // after the one the last build ran against, one per dependency name (the nearest distance).
  const { rows } = await sql<CandidateRow>`
    select p.id, p.name, p.collection_id, c.name as collection, c.paused as collection_paused, c.state as collection_state,
      c.priority_coefficient as coefficient, c.build_backend as backend,
      coalesce(p.arch_override[1], c.architectures[1]) as arch,
      c.current_snapshot_id as snapshot_id, cs.sequence as snapshot_sequence,
      p.tracked, p.blocked, p.resolved, rs.sequence as resolution_sequence, p.snooze_until,
      p.manual_priority, p.static_priority, p.created_at,
      lb.id as last_build_id, lb.outcome as last_outcome, lb.finished_at as last_finished_at,
      ab.id as active_build_id, ab.state as active_build_state,
      coalesce(ch.changes, '[]'::jsonb) as changes, wv.wave_id, wv.batch as wave_batch
    from packages p
    join collections c on c.id = p.collection_id
    left join snapshots cs on cs.id = c.current_snapshot_id
    left join resolutions r on r.id = p.last_resolution_id
    left join snapshots rs on rs.id = r.snapshot_id
    left join lateral (
      select b.id, b.outcome, b.finished_at, s.sequence from builds b join snapshots s on s.id = b.snapshot_id
      where b.package_id = p.id and b.state in ('succeeded', 'failed') order by b.id desc limit 1
    ) lb on true
    left join lateral (
      select b.id, b.state from builds b where b.package_id = p.id and b.state in ('queued', 'running') and ${!filter.schedulableOnly} limit 1
    ) ab on true
    left join lateral (
      select jsonb_agg(jsonb_build_object('name', x.dependency_name, 'kind', x.kind, 'distance', x.distance,
        'previous', x.previous, 'current', x.current) order by x.distance nulls last, x.dependency_name) as changes
      from (
        select distinct on (dc.dependency_name) dc.dependency_name, dc.kind, dc.distance,
          ${nevraSql('pb')} as previous, ${nevraSql('cb')} as current
        from dependency_changes dc
        join snapshots s on s.id = dc.snapshot_id
        left join binary_packages pb on pb.id = dc.previous_binary_package_id
        left join binary_packages cb on cb.id = dc.current_binary_package_id
        where dc.package_id = p.id and dc.baseline = 'previous_resolution' and s.sequence > coalesce(lb.sequence, 0)
        order by dc.dependency_name, dc.distance nulls last, s.sequence desc
      ) x
    ) ch on true
    left join (
      -- One set-based join, not a probe per package: only the current batches of running waves.
      select distinct on (n.package_id) n.package_id, n.wave_id, n.batch from waves w
      join wave_nodes n on n.wave_id = w.id and n.batch = w.current_batch and n.state = 'pending'
      where w.state = 'running' and w.waiting_for is null
      order by n.package_id, n.wave_id
    ) wv on wv.package_id = p.id
    where true ${only} ${one}`.execute(db);
  return rows;
}

const hoursBetween = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 3_600_000;

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

export function evaluateCandidate(row: CandidateRow, config: PriorityConfig, now: Date): Candidate {
  const priority = computePriority({
    manual: row.manual_priority,
    static: row.static_priority,
    coefficient: row.coefficient,
    hoursSinceLastBuild: hoursBetween(row.last_finished_at ?? row.created_at, now),
    changeDistances: row.changes.map((c) => c.distance),
    lastOutcome: row.last_outcome,
  }, config);
  const reasons = unschedulableReasons(row, now);
  // A wave asked for this build: the threshold does not apply, its place in the queue does.
  if (row.wave_id === null && priority.total < config.threshold) reasons.push(`priority ${priority.total} below threshold ${config.threshold}`);
  return { row, priority, reasons, rank: row.wave_id === null ? priority.total : Math.max(priority.total, config.threshold) };
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
