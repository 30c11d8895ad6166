/**
 * Many scheduler instances on one database: concurrent ticks from separate connection pools
 * (separate sessions on PostgreSQL) never exceed the cap and never submit one package twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, fixtureSources, testSettings } from './scheduling-fixture.ts';

for (const backend of databaseBackends()) {
  test(`two schedulers, one database: cap and uniqueness hold (${backend.name})`, async () => {
    const database = await backend.open();
    const other = database.url ? await openDatabase({ url: database.url, migrate: false }) : undefined;
    try {
      const repos = await fixtureRepositories();
      await fixtureCollection(database.db, 'one', repos.v1);
      await fixtureCollection(database.db, 'two', repos.v1);
      await addBuilder(database.db, 'sim', 100);
      const instances: Db[] = [database.db, other?.db ?? database.db];
      const settings = testSettings({ maxConcurrentBuilds: 3 });
      let submitted = 0;
      for (let round = 0; round < 6; round++) {
        await database.db.updateTable('packages').set({ manual_priority: 3000 }).where('name', 'in', fixtureSources).execute();
        const ticks = await Promise.all([0, 1, 2, 3].map((i) => schedulerTick(instances[i % 2]!, settings)));
        submitted += ticks.reduce((n, t) => n + t.queued.length, 0);
        const active = await database.db.selectFrom('builds').select(['id', 'package_id']).where('state', 'in', ['queued', 'running']).execute();
        assert.is(active.length, 3, `round ${round}: the cap is filled exactly`);
        assert.is(new Set(active.map((b) => b.package_id)).size, active.length, 'one active build per package');
        // Two of them finish before the next round.
        await database.db.updateTable('builds').set({ state: 'succeeded', outcome: 'passed', finished_at: new Date() })
          .where('id', 'in', active.slice(0, 2).map((b) => b.id)).execute();
      }
      assert.is(submitted, 3 + 5 * 2, 'every free slot was filled once, by exactly one instance');
    } finally {
      await other?.close();
      await database.close();
    }
  });
}

test.run();
