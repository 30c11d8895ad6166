/**
 * The build-dependency graph as the scheduler derives it from stored resolutions, and its cache:
 * two databases in one process (the tests run PGlite and PostgreSQL side by side) number their
 * snapshots alike, so the cache must never hand one database the other's graph.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/database.ts';
import { buildGraph } from '../../src/scheduling/build-graph.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { fixtureCollection } from './scheduling-fixture.ts';

const dependentsOf = async (graph: ReturnType<typeof buildGraph>, source: string) => [...((await graph).dependents.get(source) ?? [])].sort();

test('snapshot 1 of two databases: each gets its own graph', async () => {
  const repos = await fixtureRepositories();
  const [one, two] = [await openDatabase({ inMemory: true }), await openDatabase({ inMemory: true })];
  try {
    // The same collection and snapshot ids in both, over different repositories: baz builds
    // against libbar in v1 only (v2 makes it unresolvable), newthing exists in v2 only.
    const [first, second] = [await fixtureCollection(one.db, 'c', repos.v1), await fixtureCollection(two.db, 'c', repos.v2)];
    assert.is(first, second);
    const snapshot = async (db: typeof one.db) => (await db.selectFrom('snapshots').select('id').executeTakeFirstOrThrow()).id;
    assert.is(await snapshot(one.db), await snapshot(two.db));
    const id = await snapshot(one.db);

    const v1 = await dependentsOf(buildGraph(one.db, first, id), 'libbar');
    const v2 = await dependentsOf(buildGraph(two.db, second, id), 'libbar');
    assert.ok(v1.includes('baz'), v1.join(' '));
    assert.not.ok(v2.includes('baz'), v2.join(' '));
    assert.not.equal(v1, v2);
    // And back: the first database's graph again, not the second's that replaced it in the cache.
    assert.equal(await dependentsOf(buildGraph(one.db, first, id), 'libbar'), v1);
  } finally {
    await one.close();
    await two.close();
  }
});

test.run();
