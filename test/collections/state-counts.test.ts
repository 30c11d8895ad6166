/**
 * Kept package counts by state (sql/0011 trigger, collections/state-counts.ts): they equal a count
 * of the packages through inserts, state updates, deletes, a deleted collection and a fold, and
 * the package list's total uses them.
 */
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listPackages } from '../../src/collections/queries.ts';
import { addPackages, createCollection, deleteCollection } from '../../src/collections/service.ts';
import { collectionStateCounts, packageStateCounts } from '../../src/collections/state-counts.ts';
import type { Database } from '../../src/db/database.ts';
import { databaseBackends } from '../helpers/database.ts';

for (const backend of databaseBackends()) {
  const it = suite(`package state counts (${backend.name})`);
  let database: Database;
  it.before(async () => {
    database = await backend.open();
  });
  it.after(() => database.close());

  const counted = async (collectionId: number) => Object.fromEntries((await database.db.selectFrom('packages').select('state')
    .select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', '=', collectionId).groupBy('state').orderBy('state').execute())
    .map((r) => [r.state, Number(r.n)]));
  const rows = async (collectionId: number) => Number((await database.db.selectFrom('package_state_counts')
    .select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', '=', collectionId).executeTakeFirstOrThrow()).n);

  it('follow inserts, updates and deletes; fold when rows pile up; go with their collection', async () => {
    const { db } = database;
    const a = await createCollection(db, { name: 'counts-a', format: 'debian', sources: [{ url: 'file:///srv/a' }] });
    const b = await createCollection(db, { name: 'counts-b', format: 'debian', sources: [{ url: 'file:///srv/b' }] });
    await addPackages(db, 'counts-a', Array.from({ length: 40 }, (_, i) => `p${i}`));
    await addPackages(db, 'counts-b', ['p0', 'p1']);
    assert.equal(await collectionStateCounts(db, a.id), { unknown: 40 });

    // One statement moving several states, one moving none, single-row moves and a delete.
    await sql`update packages set state = case when name < 'p2' then 'ok' else 'unresolved' end where collection_id = ${a.id} and name < 'p3'`.execute(db);
    await db.updateTable('packages').set({ manual_priority: 5 }).where('collection_id', '=', a.id).execute();
    for (let i = 10; i < 20; i++) await db.updateTable('packages').set({ state: 'failing' }).where('collection_id', '=', a.id).where('name', '=', `p${i}`).execute();
    await db.deleteFrom('packages').where('collection_id', '=', a.id).where('name', 'in', ['p2', 'p30']).execute();
    assert.equal(await collectionStateCounts(db, a.id), await counted(a.id));
    assert.equal(await collectionStateCounts(db, b.id), { unknown: 2 });

    const list = await listPackages(db, { collections: ['counts-a'], states: ['failing', 'ok'], limit: 5 });
    assert.is(list.total, 12);
    assert.equal(list.items.map((p) => p.name), ['p0', 'p1', 'p10', 'p11', 'p12']);
    assert.is((await listPackages(db, { collections: ['counts-a', 'counts-b'], limit: 1 })).total, 40);

    // Flip one package back and forth until the rows pass the fold threshold: a read folds them.
    for (let i = 0; i < 70; i++) {
      await db.updateTable('packages').set({ state: i % 2 ? 'unknown' : 'blocked' }).where('collection_id', '=', a.id).where('name', '=', 'p39').execute();
    }
    assert.ok(await rows(a.id) > 64);
    assert.equal(await collectionStateCounts(db, a.id), await counted(a.id));
    assert.ok(await rows(a.id) <= 5, 'folded to one row per state');
    assert.equal(await collectionStateCounts(db, a.id), await counted(a.id));

    await deleteCollection(db, 'counts-a');
    assert.is(await rows(a.id), 0);
    assert.equal(await packageStateCounts(db, [a.id, b.id]), [{ collectionId: b.id, state: 'unknown', n: 2 }]);
  });

  it.run();
}
