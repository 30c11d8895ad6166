/**
 * Package counts by collection and state, read from `package_state_counts` (sql/0011): a trigger
 * on packages appends one delta row per statement and state moved, so a count is the sum of a
 * handful of rows instead of a scan of the collection's packages. When a collection's rows pile
 * up, the reader that sees it folds them into one row per state.
 */
import { sql } from 'kysely';
import { LockClass } from '../db/advisory-locks.ts';
import { withTransaction, type Db } from '../db/database.ts';
import type { PackageState } from '../db/schema.ts';

/** Delta rows a collection may collect before a reader folds them (each read sums them all). */
const foldAt = 64;

export interface StateCount {
  collectionId: number;
  state: PackageState;
  n: number;
}

/** Non-zero counts of the given collections, by state. */
export async function packageStateCounts(db: Db, collectionIds: readonly number[]): Promise<StateCount[]> {
  if (collectionIds.length === 0) return [];
  const rows = await db.selectFrom('package_state_counts')
    .select(['collection_id', 'state', sql<number>`sum(n)::int`.as('n'), sql<number>`count(*)::int`.as('parts')])
    .where('collection_id', '=', sql<number>`any(${collectionIds}::bigint[])`)
    .groupBy(['collection_id', 'state']).orderBy('collection_id').orderBy('state').execute();
  const parts = new Map<number, number>();
  for (const r of rows) parts.set(r.collection_id, (parts.get(r.collection_id) ?? 0) + r.parts);
  for (const [collectionId, n] of parts) if (n > foldAt) await fold(db, collectionId);
  return rows.filter((r) => r.n !== 0).map((r) => ({ collectionId: r.collection_id, state: r.state as PackageState, n: r.n }));
}

/** One collection's non-zero counts as `{state: n}`, states in name order. */
export async function collectionStateCounts(db: Db, collectionId: number): Promise<Partial<Record<PackageState, number>>> {
  return Object.fromEntries((await packageStateCounts(db, [collectionId])).map((c) => [c.state, c.n]));
}

/**
 * Replaces a collection's rows by their sums. Rows appended meanwhile are not seen and stay; a
 * concurrent fold of the same collection is skipped (the lock), not waited for.
 */
async function fold(db: Db, collectionId: number): Promise<void> {
  await withTransaction(db, async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${LockClass.stateCounts}::int4, ${collectionId}::int4) as locked`.execute(trx);
    if (!rows[0]?.locked) return;
    await sql`
      with gone as (delete from package_state_counts where collection_id = ${collectionId} returning state, n)
      insert into package_state_counts (collection_id, state, n)
      select ${collectionId}::bigint, state, sum(n) from gone group by state having sum(n) <> 0`.execute(trx);
  });
}
