/**
 * The append-only event log (table `events`). Readers page through it by id (`afterId`) and are
 * woken by `NOTIFY ripple_events, '<last id>'`; a reader that has seen id N must never later find a
 * new event with an id below N, or it would skip it for good.
 *
 * Why a lock: ids come from a sequence, and with plain concurrent inserts transaction A can take
 * id 5, transaction B id 6, B commits, a reader sees 6, then A commits 5 behind the reader's back.
 * `appendEvents` takes a transaction-scoped advisory lock right before inserting, so the id is
 * taken and committed while holding it: commit order equals id order.
 * Trade-off: transactions that append events are serialised from the append to their commit.
 * Append as the last step of a transaction, keep such transactions short; transactions that do
 * not append are unaffected. (The alternative, readers holding back ids newer than the oldest
 * in-flight transaction, pushes complexity into every reader.)
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { invalidInput } from '../errors.ts';
import { LockClass } from '../db/advisory-locks.ts';
import type { EventRow, Schema } from '../db/schema.ts';

export const EVENTS_CHANNEL = 'ripple_events';

export interface NewEvent {
  /** Dotted lowercase name: `package.state.change`, `snapshot.ingested`, `collection.change`. */
  type: string;
  collectionId?: number | null;
  packageName?: string | null;
  payload?: Record<string, unknown>;
}

export interface Event {
  id: number;
  type: string;
  occurredAt: Date;
  collectionId: number | null;
  packageName: string | null;
  payload: Record<string, unknown>;
}

const eventType = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

const toEvent = (row: EventRow): Event => ({
  id: row.id,
  type: row.type,
  occurredAt: row.occurred_at,
  collectionId: row.collection_id,
  packageName: row.package_name,
  payload: row.payload,
});

/**
 * Appends `events` inside the caller's transaction and queues the NOTIFY (delivered on commit).
 * Returns the appended events with their ids and times (payloads as given, not read back: an
 * ingest appends 100,000+ events). Call it last in the transaction (see above).
 */
export async function appendEvents(trx: Transaction<Schema>, events: NewEvent[]): Promise<Event[]> {
  if (events.length === 0) return [];
  for (const [index, event] of events.entries()) {
    if (!eventType.test(event.type)) {
      throw invalidInput(`events[${index}].type`, `event type '${event.type}' must be dotted lowercase words, e.g. package.state.change`);
    }
  }
  await sql`select pg_advisory_xact_lock(${LockClass.eventLog}::int4, 0)`.execute(trx);
  const appended: Event[] = [];
  // Chunks keep each statement under PostgreSQL's 65535 bind parameters (a whole-distribution
  // regeneration appends tens of thousands of events in one transaction). VALUES rather than
  // unnest(): escaping 5,000 JSON payloads into one array literal costs twice as much. Rows are
  // inserted in input order, so the identity values rise with it and sorted ids pair with the
  // chunk's events by position.
  for (let at = 0; at < events.length; at += 5000) {
    const chunk = events.slice(at, at + 5000);
    const rows = await trx
      .insertInto('events')
      .values(chunk.map((e) => ({
        type: e.type,
        collection_id: e.collectionId ?? null,
        package_name: e.packageName ?? null,
        payload: JSON.stringify(e.payload ?? {}),
      })))
      .returning(['id', 'occurred_at'])
      .execute();
    rows.sort((a, b) => a.id - b.id);
    chunk.forEach((e, i) => appended.push({
      id: rows[i]!.id, type: e.type, occurredAt: rows[i]!.occurred_at, collectionId: e.collectionId ?? null,
      packageName: e.packageName ?? null, payload: e.payload ?? {},
    }));
  }
  await sql`select pg_notify(${EVENTS_CHANNEL}, ${String(appended.at(-1)!.id)})`.execute(trx);
  return appended;
}

export interface ReadEventsOptions {
  /** Return events with id > afterId (0 = from the start of what retention kept). */
  afterId: number;
  limit: number;
  /** Exact types, or prefixes written `package.*`. */
  types?: string[];
  collectionId?: number;
}

/** Events after `afterId` in id order. Check `retentionLowWaterMark` when resuming an old id. */
export async function readEvents(db: Kysely<Schema>, options: ReadEventsOptions): Promise<Event[]> {
  if (!Number.isSafeInteger(options.limit) || options.limit < 1) throw invalidInput('limit', `limit must be a positive integer, got ${options.limit}`);
  let query = db.selectFrom('events').selectAll().where('id', '>', options.afterId);
  if (options.collectionId !== undefined) query = query.where('collection_id', '=', options.collectionId);
  if (options.types?.length) {
    const exact = options.types.filter((t) => !t.endsWith('.*'));
    const prefixes = options.types.filter((t) => t.endsWith('.*')).map((t) => t.slice(0, -1).replace(/[\\%_]/g, '\\$&') + '%');
    query = query.where((eb) => eb.or([
      ...(exact.length ? [eb('type', 'in', exact)] : []),
      ...prefixes.map((p) => eb('type', 'like', p)),
    ]));
  }
  const rows = await query.orderBy('id').limit(options.limit).execute();
  return rows.map(toEvent);
}

/** Highest id ever appended and still visible, or the retention mark when everything was pruned. */
export async function latestEventId(db: Kysely<Schema>): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    select coalesce((select max(id) from events), (select pruned_through_id from event_log_state)) as id`.execute(db);
  return rows[0]!.id;
}

/**
 * Events with id <= this may have been pruned: a client resuming after an older id has missed
 * events and must resynchronise from current state.
 */
export async function retentionLowWaterMark(db: Kysely<Schema>): Promise<number> {
  const row = await db.selectFrom('event_log_state').select('pruned_through_id').executeTakeFirstOrThrow();
  return row.pruned_through_id;
}

/** Deletes events that occurred before `olderThan` (through the `prune_events` SQL function). */
export async function pruneEvents(db: Kysely<Schema>, olderThan: Date): Promise<number> {
  const { rows } = await sql<{ removed: number }>`select prune_events(${olderThan}) as removed`.execute(db);
  return rows[0]!.removed;
}
