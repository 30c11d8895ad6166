/** `ripple overview`: every collection with its state, current snapshot and package counts per state. */
import type { Db } from '../db/database.ts';
import { packageStates } from '../collections/queries.ts';
import { runCommand, withDatabase } from './command-line.ts';
import { formatTable, type Cell } from './table.ts';

const help = `usage: ripple overview

One line per collection: state, current snapshot (sequence and when it was taken), how many
packages are in each state, and the last ingest error.`;

/** `2026-11-22 08:05` in UTC: short enough for a table, unambiguous across machines. */
export const shortTime = (date: Date | null | undefined) => (date ? `${date.toISOString().slice(0, 16).replace('T', ' ')}Z` : '');

export async function overviewRows(db: Db): Promise<Cell[][]> {
  const collections = await db.selectFrom('collections')
    .leftJoin('snapshots', 'snapshots.id', 'collections.current_snapshot_id')
    .select(['collections.id', 'collections.name', 'collections.state', 'collections.paused', 'collections.last_error',
      'snapshots.sequence', 'snapshots.activated_at', 'snapshots.created_at'])
    .orderBy('collections.name').execute();
  const counts = await db.selectFrom('packages').select(['collection_id', 'state']).select((eb) => eb.fn.countAll<number>().as('n'))
    .groupBy(['collection_id', 'state']).execute();
  return collections.map((c) => {
    const count = (state: string) => Number(counts.find((r) => r.collection_id === c.id && r.state === state)?.n ?? 0);
    return [
      c.name, `${c.state}${c.paused ? ' (paused)' : ''}`, c.sequence ?? null, shortTime(c.activated_at ?? c.created_at),
      ...packageStates.map(count), c.last_error ? c.last_error.slice(0, 80) : '',
    ];
  });
}

export const run = (args: string[]) => runCommand({ name: 'overview', help }, args, async () => {
  const rows = await withDatabase(({ db }) => overviewRows(db));
  if (rows.length === 0) {
    console.log('no collections yet; create one with ripple collection create (or try npm run demo)');
    return;
  }
  console.log(formatTable(['collection', 'state', 'snapshot', 'taken', ...packageStates, 'last error'], rows));
});
