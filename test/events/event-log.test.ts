import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTransaction, type Database } from '../../src/db/database.ts';
import { RippleError } from '../../src/errors.ts';
import {
  appendEvents,
  EVENTS_CHANNEL,
  latestEventId,
  pruneEvents,
  readEvents,
  retentionLowWaterMark,
} from '../../src/events/event-log.ts';
import { databaseBackends } from '../helpers/database.ts';

for (const backend of databaseBackends()) {
  const it = suite(`event log (${backend.name})`);
  let database: Database;
  it.before(async () => {
    database = await backend.open();
  });
  it.after(() => database.close());

  it('appends in the caller transaction with increasing ids; reads page and filter', async () => {
    const before = await latestEventId(database.db);
    const appended = await withTransaction(database.db, (trx) => appendEvents(trx, [
      { type: 'package.state.change', collectionId: 1, packageName: 'bash', payload: { old: 'ok', new: 'failing' } },
      { type: 'snapshot.ingested', collectionId: 2, payload: { sequence: 1 } },
      { type: 'collection.change', collectionId: 1 },
    ]));
    assert.is(appended.length, 3);
    assert.ok(appended[0]!.id > before && appended[0]!.id < appended[1]!.id && appended[1]!.id < appended[2]!.id);
    assert.is(await latestEventId(database.db), appended[2]!.id);

    const all = await readEvents(database.db, { afterId: before, limit: 10 });
    assert.equal(all.map((e) => e.type), ['package.state.change', 'snapshot.ingested', 'collection.change']);
    assert.equal(all[0]!.payload, { old: 'ok', new: 'failing' });
    assert.is(all[0]!.packageName, 'bash');
    assert.instance(all[0]!.occurredAt, Date);
    assert.equal(all[2]!.payload, {});

    const page = await readEvents(database.db, { afterId: all[0]!.id, limit: 1 });
    assert.equal(page.map((e) => e.id), [all[1]!.id]);
    const byPrefix = await readEvents(database.db, { afterId: before, limit: 10, types: ['package.*', 'collection.change'] });
    assert.equal(byPrefix.map((e) => e.type), ['package.state.change', 'collection.change']);
    const byCollection = await readEvents(database.db, { afterId: before, limit: 10, collectionId: 2 });
    assert.equal(byCollection.map((e) => e.type), ['snapshot.ingested']);
  });

  it('one transaction can append more events than PostgreSQL has bind parameters for one statement', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => ({ type: 'package.state.change', collectionId: 9, packageName: `p${i}`, payload: { i } }));
    const appended = await withTransaction(database.db, (trx) => appendEvents(trx, many));
    assert.is(appended.length, 20_000);
    assert.ok(appended.every((e, i) => i === 0 || e.id > appended[i - 1]!.id));
    assert.equal(appended.at(-1)!.payload, { i: 19_999 });
    // The returned ids are the stored rows of the same events (paired by position, see appendEvents).
    const stored = await readEvents(database.db, { afterId: appended[0]!.id - 1, limit: 20_000 });
    assert.equal(stored.map((e) => [e.id, e.packageName, e.payload.i]), appended.map((e) => [e.id, e.packageName, e.payload.i]));
  });

  it('rolled-back appends leave nothing behind', async () => {
    const before = await latestEventId(database.db);
    await withTransaction(database.db, async (trx) => {
      await appendEvents(trx, [{ type: 'collection.change' }]);
      throw new Error('abort');
    }).catch(() => undefined);
    assert.equal(await readEvents(database.db, { afterId: before, limit: 10 }), []);
  });

  it('rejects malformed types, UPDATE, DELETE and TRUNCATE', async () => {
    const bad = await withTransaction(database.db, (trx) => appendEvents(trx, [{ type: 'Package State' }])).catch((e: unknown) => e);
    assert.instance(bad, RippleError);
    assert.is((bad as RippleError).details.field, 'events[0].type');
    await withTransaction(database.db, (trx) => appendEvents(trx, [{ type: 'collection.change' }]));
    for (const statement of [sql`update events set type = 'x.y'`, sql`delete from events`, sql`truncate events`]) {
      const error = await statement.execute(database.db).catch((e: unknown) => e);
      assert.match(String((error as Error).message), 'events is append-only');
    }
  });

  it('prune_events removes a prefix and records the low-water mark', async () => {
    const early = await withTransaction(database.db, (trx) => appendEvents(trx, [{ type: 'collection.change' }, { type: 'collection.change' }]));
    await sleep(30);
    const late = await withTransaction(database.db, (trx) => appendEvents(trx, [{ type: 'collection.change' }]));
    const cutoff = new Date(early[1]!.occurredAt.getTime() + 10);
    assert.ok(cutoff < late[0]!.occurredAt);

    const removed = await pruneEvents(database.db, cutoff);
    assert.ok(removed >= 2);
    assert.is(await retentionLowWaterMark(database.db), early[1]!.id);
    assert.equal((await readEvents(database.db, { afterId: 0, limit: 100 })).map((e) => e.id), [late[0]!.id]);
    assert.is(await pruneEvents(database.db, cutoff), 0);

    await pruneEvents(database.db, new Date(Date.now() + 60_000));
    assert.is(await retentionLowWaterMark(database.db), late[0]!.id);
    assert.is(await latestEventId(database.db), late[0]!.id, 'an emptied log still reports the last id');
  });

  it('NOTIFY carries the last id on commit, nothing on rollback', async () => {
    const received: string[] = [];
    const unlisten = await database.listen(EVENTS_CHANNEL, (payload) => received.push(payload));
    try {
      await withTransaction(database.db, async (trx) => {
        await appendEvents(trx, [{ type: 'collection.change' }]);
        throw new Error('abort');
      }).catch(() => undefined);
      const appended = await withTransaction(database.db, (trx) => appendEvents(trx, [{ type: 'collection.change' }, { type: 'collection.change' }]));
      for (let waited = 0; received.length === 0 && waited < 2000; waited += 20) await sleep(20);
      assert.equal(received, [String(appended[1]!.id)]);
    } finally {
      await unlisten();
    }
  });

  it('ids become visible in increasing order under concurrent appenders', async () => {
    const start = await latestEventId(database.db);
    const writers = 20;
    let done = false;
    const seen: number[] = [];
    // Polls like a subscriber: everything after the last id it has seen, never looking back.
    const reader = (async () => {
      let afterId = start;
      while (!done || seen.length < writers) {
        const batch = await readEvents(database.db, { afterId, limit: 100, types: ['test.concurrent'] });
        for (const event of batch) seen.push(event.id);
        afterId = batch.at(-1)?.id ?? afterId;
        if (done && batch.length === 0) break;
        await sleep(2);
      }
    })();
    await Promise.all(Array.from({ length: writers }, async (_, index) => {
      await sleep(Math.random() * 20);
      await withTransaction(database.db, async (trx) => {
        await appendEvents(trx, [{ type: 'test.concurrent', payload: { index } }]);
        // Commit late: without the lock a later id could commit first and be read before this one.
        await sleep(Math.random() * 20);
      });
    }));
    done = true;
    await reader;
    const stored = (await readEvents(database.db, { afterId: start, limit: 100, types: ['test.concurrent'] })).map((e) => e.id);
    assert.is(stored.length, writers);
    assert.equal(seen, stored, 'the polling reader saw every id, in order');
  });

  it.run();
}
