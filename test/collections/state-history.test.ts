/**
 * The collection history behind the overview chart, and the state badge: on the rpm-md fixture
 * ingested at v1 and then at v2, the history's samples equal the state counts the packages really
 * had at those moments, and the badge draws the current state.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sourcesOfCollection } from '../../src/cli/add-packages-command.ts';
import { addPackages, createCollection, updateCollection } from '../../src/collections/service.ts';
import { loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends, type TestDatabase } from '../helpers/database.ts';
import { jsonCaller } from '../helpers/http.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of databaseBackends()) {
  const it = suite(`state history (${backend.name})`);
  let database: TestDatabase;
  it.before(async () => {
    database = await backend.open();
  });
  it.after(() => database.close());

  it('samples equal the state counts at their times; the badge shows the current state', async () => {
    const { db } = database;
    const repos = await fixtureRepositories();
    const collection = await createCollection(db, { name: 'fixture', format: 'rpm-md', sources: [{ url: repos.v1 }], baseBuildroot: { group: 'build' }, architectures: ['x86_64'] });
    await addPackages(db, 'fixture', await sourcesOfCollection(collection));
    await ingestCollection(db, 'fixture', { instance: 'test', threads: 1 });
    const counts = async () => Object.fromEntries((await db.selectFrom('packages').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute())
      .map((r) => [r.state, Number(r.n)]));
    const atV1 = await counts();
    // Margins around the middle sample: the handler's clock runs behind the test's by the request's latency.
    await sleep(250);
    const betweenIngests = Date.now();
    await sleep(250);
    await updateCollection(db, 'fixture', { sources: [{ url: repos.v2 }] });
    await addPackages(db, 'fixture', ['zap']);
    await ingestCollection(db, 'fixture', { instance: 'test', threads: 1 });
    const atV2 = await counts();
    assert.not.equal(atV1, atV2, 'v2 changes states (baz becomes unresolved, zap is new)');

    const app = createApp({ db, config: loadConfig({}) });
    const call = jsonCaller(app);
    // Two intervals, the middle sample exactly between the ingests: from = 2·middle − now.
    const now = Date.now();
    const hours = (2 * (now - betweenIngests)) / 3600_000;
    const { status, json } = await call('GET', `/api/collections/fixture/history?points=2&hours=${hours.toFixed(9)}`);
    assert.is(status, 200, JSON.stringify(json));
    assert.is(json.points.length, 3);
    const nonZero = (states: Record<string, number>) => Object.fromEntries(Object.entries(states).filter(([, n]) => n > 0));
    assert.equal(nonZero(json.points[1].states), atV1);
    assert.equal(nonZero(json.points[2].states), atV2);
    assert.equal(json.points.map((p: { queued: number; running: number }) => p.queued + p.running), [0, 0, 0]);

    const week = await call('GET', '/api/collections/fixture/history');
    assert.is(week.json.points.length, 85);
    assert.equal(nonZero(week.json.points[0].states), {}, 'a week ago the collection did not exist');
    assert.is((await call('GET', '/api/collections/fixture/history?hours=abc')).status, 400);

    const badge = await app.request('/badge/fixture/baz.svg');
    assert.is(badge.status, 200);
    assert.is(badge.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.match(await badge.text(), /aria-label="fixture: unresolved"/);
    const missing = await app.request('/badge/fixture/nosuchpackage.svg');
    assert.is(missing.status, 404);
    assert.match(await missing.text(), /fixture: not found/);
    assert.is((await app.request('/badge/fixture/baz.png')).status, 400);
  });

  it.run();
}
