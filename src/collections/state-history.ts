/**
 * A collection's package states and build queue over time, for charts. Derived from what is
 * recorded anyway (no sampling table): the current state counts are walked backwards through
 * `package_state_changes` and package creation (packages start `unknown`), and queue/running
 * lengths are a baseline plus per-interval deltas of the builds' queued/started/finished times.
 * Each query aggregates per interval, so the cost does not grow with the number of points drawn.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PackageState } from '../db/schema.ts';
import { packageStates } from './queries.ts';
import { getCollection } from './service.ts';
import { collectionStateCounts } from './state-counts.ts';

export interface HistoryPoint {
  at: Date;
  states: Record<PackageState, number>;
  /** Builds waiting for a builder at `at`. */
  queued: number;
  running: number;
}

export interface CollectionHistory {
  collection: string;
  from: Date;
  to: Date;
  stepSeconds: number;
  points: HistoryPoint[];
}

const zeroStates = () => Object.fromEntries(packageStates.map((s) => [s, 0])) as Record<PackageState, number>;

/** `points + 1` samples at from, from + step, ..., to (= now). */
export async function collectionHistory(db: Db, name: string, { hours, points }: { hours: number; points: number }, now = new Date()): Promise<CollectionHistory> {
  const collection = await getCollection(db, name);
  const stepSeconds = (hours * 3600) / points;
  const from = new Date(now.getTime() - hours * 3600_000);
  // Interval b holds what happened in (from + (b-1)·step, from + b·step]: it is visible from sample b on.
  const bucket = (column: string) => sql<number>`ceil(extract(epoch from (${sql.ref(column)} - ${from}::timestamptz)) / ${stepSeconds})::int`;

  const current = await collectionStateCounts(db, collection.id);
  // Grouped by position: the bucket expression carries parameters, so repeating it would not match.
  const { rows: changes } = await sql<{ b: number; previous_state: PackageState | null; state: PackageState; n: number }>`
    select ${bucket('c.at')} as b, c.previous_state, c.state, count(*)::int as n
    from package_state_changes c join packages p on p.id = c.package_id
    where p.collection_id = ${collection.id} and c.at > ${from} group by 1, 2, 3`.execute(db);
  // Packages are added in batches sharing one created_at: bucket the distinct times, not every row.
  const { rows: created } = await sql<{ b: number; n: number }>`
    select ${bucket('t')} as b, sum(n)::int as n from (
      select created_at as t, count(*) as n from packages
      where collection_id = ${collection.id} and created_at > ${from} group by created_at
    ) batches group by 1`.execute(db);
  const builds = db.selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id').where('p.collection_id', '=', collection.id);
  const leftQueue = sql<Date | null>`coalesce(b.started_at, b.finished_at)`;
  const baseline = await builds.select([
    sql<number>`count(*) filter (where b.queued_at <= ${from} and (${leftQueue} is null or ${leftQueue} > ${from}))`.as('queued'),
    sql<number>`count(*) filter (where b.started_at <= ${from} and (b.finished_at is null or b.finished_at > ${from}))`.as('running'),
  ]).executeTakeFirstOrThrow();
  // One row per (interval, kind of move): +1/-1 for the queue and for running builds.
  const moves = await sql<{ b: number; queued: number; running: number }>`
    select b, sum(queued)::int as queued, sum(running)::int as running from (
      select ${bucket('b.queued_at')} as b, 1 as queued, 0 as running from builds b join packages p on p.id = b.package_id
        where p.collection_id = ${collection.id} and b.queued_at > ${from}
      union all
      select ceil(extract(epoch from (${leftQueue} - ${from}::timestamptz)) / ${stepSeconds})::int, -1, case when b.started_at is null then 0 else 1 end
        from builds b join packages p on p.id = b.package_id
        where p.collection_id = ${collection.id} and ${leftQueue} > ${from}
      union all
      select ${bucket('b.finished_at')}, 0, -1 from builds b join packages p on p.id = b.package_id
        where p.collection_id = ${collection.id} and b.started_at is not null and b.finished_at > ${from}
    ) m group by b`.execute(db);

  const states: Record<PackageState, number>[] = [];
  const counts = zeroStates();
  Object.assign(counts, current);
  const changesAt = groupBy(changes, (r) => Number(r.b));
  const createdAt = new Map(created.map((r) => [Number(r.b), Number(r.n)]));
  for (let i = points; i >= 0; i--) {
    states[i] = { ...counts };
    // Step back over interval i: undo its state changes and creations.
    for (const change of changesAt.get(i) ?? []) {
      counts[change.state] -= Number(change.n);
      if (change.previous_state !== null) counts[change.previous_state] += Number(change.n);
    }
    counts.unknown -= createdAt.get(i) ?? 0;
  }
  const moveAt = new Map(moves.rows.map((r) => [Number(r.b), r]));
  let queued = Number(baseline.queued);
  let running = Number(baseline.running);
  const result: HistoryPoint[] = [];
  for (let i = 0; i <= points; i++) {
    if (i > 0) {
      queued += Number(moveAt.get(i)?.queued ?? 0);
      running += Number(moveAt.get(i)?.running ?? 0);
    }
    result.push({ at: new Date(from.getTime() + i * stepSeconds * 1000), states: states[i]!, queued, running });
  }
  return { collection: collection.name, from, to: now, stepSeconds, points: result };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => number): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const row of rows) {
    const group = map.get(key(row));
    if (group) group.push(row);
    else map.set(key(row), [row]);
  }
  return map;
}
