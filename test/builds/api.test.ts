/**
 * The build and scheduling routes over a real database: a maintainer requests a build, the
 * schedule view explains the priority, the queue and the builders are listed, and a simulated
 * build's record and log are served.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { simulatedBuild, simulationExecutor } from '../../src/builds/build-executors.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createApp, type RippleApp } from '../../src/http/app.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, testSettings } from '../scheduling/scheduling-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`build API (${backend.name})`);
  let database: Database;
  let app: RippleApp;
  let token: string;

  it.before(async () => {
    database = await backend.open();
    await fixtureCollection(database.db, 'api', (await fixtureRepositories()).v1);
    await addBuilder(database.db, 'sim-api', 2);
    token = (await createToken(database.db, await createUser(database.db, { name: 'maria' }), ['maintainer'], 'test')).token;
    app = createApp({ db: database.db, config: loadConfig({}) });
  });
  it.after(async () => database.close());

  const call = async (method: string, path: string, auth = false) => {
    const response = await app.request(path, { method, headers: auth ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    return { status: response.status, text, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined };
  };

  it('schedule view: priority breakdown and why not scheduled', async () => {
    const { status, json } = await call('GET', '/api/collections/api/packages/nosuch/schedule');
    assert.is(status, 200);
    assert.is(json.threshold, 256);
    assert.is(json.priority.time, -30);
    assert.equal(json.notScheduledBecause, ['unresolved since snapshot 1', 'priority -30 below threshold 256']);
    assert.is((await call('GET', '/api/collections/api/packages/nope/schedule')).status, 404);
  });

  it('a manual build request needs a maintainer, raises the priority, and the scheduler queues it', async () => {
    assert.is((await call('POST', '/api/collections/api/packages/site/builds')).status, 401);
    const requested = await call('POST', '/api/collections/api/packages/site/builds', true);
    assert.is(requested.status, 201, requested.text);
    assert.is(requested.json.priority.manual, 3000);
    assert.equal(requested.json.notScheduledBecause, []);
    await schedulerTick(database.db, testSettings());
    const queue = await call('GET', '/api/queue');
    assert.equal({ cap: queue.json.cap, active: queue.json.active, packages: queue.json.builds.map((b: { package: string }) => b.package) },
      { cap: 30, active: 1, packages: ['site'] });
    assert.is(queue.json.builds[0].reason.kind, 'manual');
  });

  it('builds, a build, its log, and the builders', async () => {
    const worker = new BuildWorker(database.db, {
      name: 'sim-api', backend: 'simulation', arches: ['x86_64'], capacity: 2, leaseSeconds: 10, pollSeconds: 0.05,
      retry: { maxAttempts: 2, backoffSeconds: 0 }, executor: simulationExecutor(7, 0), logDir: mkdtempSync(join(tmpdir(), 'ripple-api-logs-')),
    });
    await worker.start();
    for (let i = 0; i < 100 && (await call('GET', '/api/queue')).json.active > 0; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.stop();
    const expected = simulatedBuild(7, 'site');
    const list = await call('GET', '/api/builds?collection=api&package=site');
    assert.is(list.json.length, 1);
    const id = list.json[0].id;
    const build = await call('GET', `/api/builds/${id}`);
    assert.is(build.json.state, expected.succeeded ? 'succeeded' : 'failed');
    assert.is(build.json.worker, 'sim-api');
    assert.equal(build.json.dependencyChanges, []);
    const log = await call('GET', `/api/builds/${id}/log`);
    assert.match(log.text, new RegExp(`simulated build of site \\(seed 7\\): ${expected.seconds} s`));
    assert.is((await call('GET', '/api/builds?state=bogus')).status, 400);
    assert.is((await call('GET', '/api/builds/999999/log')).status, 404);
    const builders = await call('GET', '/api/builders');
    assert.equal(builders.json.map((b: { name: string; running: number }) => [b.name, b.running]), [['sim-api', 0]]);
  });

  it.run();
}
