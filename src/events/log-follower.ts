/**
 * Followers of the event log with a persisted cursor (`event_followers`): webhook delivery
 * creation, AMQP publication. One page is handled per transaction, and the cursor advances in
 * that same transaction, so a crash repeats at most the page in flight and never skips one.
 * The cursor row is locked with SKIP LOCKED: with several instances, one follows at a time.
 */
import type { Db, Trx } from '../db/database.ts';
import { withTransaction } from '../db/database.ts';

/**
 * Handles the next page of at most `pageSize` events after the cursor of `name`:
 * `handle(trx, afterId, throughId)` covers ids in (afterId, throughId]. Returns the number of
 * events in the page (0 when caught up, or when another instance holds the cursor).
 */
export function followLog(db: Db, name: string, pageSize: number, handle: (trx: Trx, afterId: number, throughId: number) => Promise<void>): Promise<number> {
  return withTransaction(db, async (trx) => {
    const cursor = await trx.selectFrom('event_followers').select('last_event_id').where('name', '=', name).forUpdate().skipLocked().executeTakeFirst();
    if (!cursor) return 0;
    const page = await trx.selectFrom('events').select('id').where('id', '>', cursor.last_event_id).orderBy('id').limit(pageSize).execute();
    if (page.length === 0) return 0;
    const throughId = page.at(-1)!.id;
    await handle(trx, cursor.last_event_id, throughId);
    await trx.updateTable('event_followers').set({ last_event_id: throughId, updated_at: new Date() }).where('name', '=', name).execute();
    return page.length;
  });
}
