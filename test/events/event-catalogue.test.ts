/**
 * Every event the service writes matches its catalogue schema: the ingest flow on the rpm fixture
 * repositories (v1, forced re-ingest, v2, a failing source), collection, package and group
 * changes, results and waivers through the API with the default policies, and a build flow
 * (requested, queued, claimed and run by a simulation builder, retried, infra-failed).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InfrastructureError, simulationExecutor, type BuildExecutor } from '../../src/builds/build-executors.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { loadConfig } from '../../src/config.ts';
import { addGroupMembers, addPackages, createCollection, createGroup, requestRegeneration, setPackageFlags, updateCollection } from '../../src/collections/service.ts';
import type { Database } from '../../src/db/database.ts';
import { checkEvent, eventCatalogue, eventEnvelope, envelopeSchema, validateAgainst } from '../../src/events/event-catalogue.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { createApp } from '../../src/http/app.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { planWave, transitionWave, waveDetail } from '../../src/scheduling/waves.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, testSettings } from '../scheduling/scheduling-fixture.ts';

const SOURCES = ['bartender', 'baz', 'clash', 'foo', 'legacy', 'migrate', 'newthing', 'nosuch', 'qux', 'relops', 'richdeps', 'site', 'weakling', 'zap'];

for (const backend of databaseBackends()) {
  const it = suite(`event catalogue (${backend.name})`);
  let database: Database;
  /** Event types the flows below produced, for the completeness check at the end. */
  const produced = new Set<string>();
  it.before(async () => { database = await backend.open(); });
  it.after(() => database.close());

  it('every event written by the ingest, collection, group, result and waiver flows matches its schema', async () => {
    const repos = await fixtureRepositories();
    const db = database.db;
    const ingest = (force = false) => ingestCollection(db, 'fixture', { instance: 'test', threads: 1, force });
    await createCollection(db, { name: 'fixture', format: 'rpm-md', sources: [{ url: repos.v1 }], architectures: ['x86_64'], baseBuildroot: { group: 'build' } });
    await addPackages(db, 'fixture', SOURCES);
    await createGroup(db, null, { namespace: 'global', name: 'libbar-users', packages: ['baz'] });
    await addGroupMembers(db, null, { namespace: null, name: 'libbar-users' }, ['qux']);
    assert.is((await ingest()).status, 'ingested');
    assert.is((await ingest(true)).status, 'ingested');
    await updateCollection(db, 'fixture', { sources: [{ url: repos.v2 }] });
    assert.is((await ingest()).status, 'ingested');
    await setPackageFlags(db, 'fixture', 'foo', { blocked: true });
    await requestRegeneration(db, 'fixture');
    await updateCollection(db, 'fixture', { sources: [{ url: `${repos.v2}/no-such-repository` }] });
    assert.is((await ingest()).status, 'failed');

    const app = createApp({ db, config: loadConfig({}) });
    const robot = await createUser(db, { name: 'robot' });
    const alice = await createUser(db, { name: 'alice' });
    const ci = (await createToken(db, robot, ['ci'])).token;
    const maintainer = (await createToken(db, alice, ['maintainer'])).token;
    const post = async (path: string, token: string, body: unknown) => {
      const response = await app.request(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.is(response.status, 201, `${path}: ${await response.clone().text()}`);
    };
    await post('/api/v2.0/results', ci, { testcase: 'ripple.buildability', outcome: 'FAILED', data: { item: 'fixture/baz', type: 'ripple_package' } });
    await post('/api/v1.0/waivers/', maintainer, { subject_type: 'ripple_package', subject_identifier: 'fixture/baz', testcase: 'ripple.buildability', product_version: 'fixture', waived: true, comment: 'known' });

    const events = await readEvents(db, { afterId: 0, limit: 100_000 });
    const problems = events.flatMap(checkEvent);
    assert.equal(problems, [], problems.slice(0, 10).join('\n'));
    for (const event of events) assert.equal(validateAgainst(envelopeSchema, eventEnvelope(event), 'envelope'), []);
    for (const event of events) produced.add(event.type);
    const state = events.find((e) => e.type === 'package.state.change' && e.packageName === 'baz' && e.payload.new === 'unresolved')!;
    assert.equal(eventEnvelope(state).collection, 'fixture');
  });

  it('every event of a build flow matches its schema', async () => {
    const db = database.db;
    const after = (await readEvents(db, { afterId: 0, limit: 100_000 })).at(-1)?.id ?? 0;
    await fixtureCollection(db, 'builds', (await fixtureRepositories()).v1);
    await addBuilder(db, 'sim-events', 2);
    const app = createApp({ db, config: loadConfig({}) });
    const token = (await createToken(db, await createUser(db, { name: 'maria' }), ['maintainer'])).token;
    for (const name of ['baz', 'site']) {
      const response = await app.request(`/api/collections/builds/packages/${name}/builds`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.is(response.status, 201, await response.text());
    }
    // site's builder keeps failing for infrastructure reasons: one retry, then infra-failed.
    const simulate = simulationExecutor(7, 0);
    const executor: BuildExecutor = async (build, context) => {
      if (build.package === 'site') throw new InfrastructureError('no SRPM for site');
      return simulate(build, context);
    };
    const worker = new BuildWorker(db, {
      name: 'sim-events', backend: 'simulation', arches: ['x86_64'], capacity: 2, leaseSeconds: 10, pollSeconds: 0.05,
      retry: { maxAttempts: 2, backoffSeconds: 0 }, executor, logDir: mkdtempSync(join(tmpdir(), 'ripple-event-logs-')),
    });
    await worker.start();
    // The scheduler shares the builder with the first test's collection (one build per collection
    // lane each tick), so it ticks until both requested builds ended.
    const ended = () => db.selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id').innerJoin('collections as c', 'c.id', 'p.collection_id')
      .select('p.name').where('c.name', '=', 'builds').where('b.state', 'in', ['succeeded', 'failed', 'infra-failed']).execute();
    for (let i = 0; i < 200 && (await ended()).length < 2; i++) {
      await schedulerTick(db, testSettings());
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.stop();
    assert.equal((await ended()).map((b) => b.name).sort(), ['baz', 'site']);

    const events = await readEvents(db, { afterId: after, limit: 100_000 });
    const problems = events.flatMap(checkEvent);
    assert.equal(problems, [], problems.slice(0, 10).join('\n'));
    const builds = events.filter((e) => e.type.startsWith('build.') && e.payload.collection === 'builds').map((e) => `${e.type} ${e.packageName} ${String(e.payload.outcome ?? '')}`.trim());
    assert.equal(builds.filter((b) => b.endsWith('site') || b.includes(' site ')), [
      'build.requested site', 'build.queued site', 'build.started site', 'build.retry site', 'build.started site', 'build.finished site infra',
    ]);
    assert.ok(builds.some((b) => /^build\.finished baz (passed|failed)$/.test(b)), builds.join(', '));
    const bazState = events.find((e) => e.type === 'package.state.change' && e.packageName === 'baz')!;
    assert.equal(bazState.payload.groups, ['global/libbar-users']);
    for (const event of events) produced.add(event.type);
  });

  it('every event of a wave flow matches its schema (planned, started, paused, resumed, progress, finished, canceled, build.canceled)', async () => {
    const db = database.db;
    const after = (await readEvents(db, { afterId: 0, limit: 100_000 })).at(-1)?.id ?? 0;
    await fixtureCollection(db, 'waves', (await fixtureRepositories()).v1);
    const settings = testSettings();
    const plan = () => planWave(db, { collection: 'waves', target: { kind: 'affected', value: 'qux' }, description: '', by: 'maria' }, 30);
    const first = await plan();
    await transitionWave(db, first.id, 'start', 'maria');
    await transitionWave(db, first.id, 'pause', 'maria');
    await transitionWave(db, first.id, 'resume', 'maria');
    for (let i = 0; i < 10 && (await waveDetail(db, first.id)).state !== 'finished'; i++) {
      await schedulerTick(db, settings);
      await db.updateTable('builds').set({ state: 'succeeded', outcome: 'passed', finished_at: new Date() }).where('state', 'in', ['queued', 'running']).execute();
    }
    const second = await plan();
    await transitionWave(db, second.id, 'start', 'maria');
    await schedulerTick(db, settings);
    await transitionWave(db, second.id, 'cancel', 'maria');
    const events = await readEvents(db, { afterId: after, limit: 100_000 });
    const problems = events.flatMap(checkEvent);
    assert.equal(problems, [], problems.slice(0, 10).join('\n'));
    assert.equal([...new Set(events.filter((e) => e.type.startsWith('wave.') || e.type === 'build.canceled').map((e) => e.type))].sort(), [
      'build.canceled', 'wave.canceled', 'wave.finished', 'wave.paused', 'wave.planned', 'wave.progress', 'wave.resumed', 'wave.started',
    ]);
    for (const event of events) produced.add(event.type);
  });

  it('the flows above produced every catalogued type', () => {
    assert.equal(Object.keys(eventCatalogue).filter((t) => !produced.has(t)), []);
  });

  it('docs/events.md documents every catalogued type', () => {
    const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
    assert.equal(Object.keys(eventCatalogue).filter((type) => !doc.includes(`| \`${type}\` |`)), []);
  });

  it('the validator reports what is wrong, with the path', () => {
    const bad = { id: 1, type: 'package.state.change', occurredAt: new Date(), collectionId: 1, packageName: 'x', payload: { collection: 'c', collection_id: 1, collection_name: 'c', name: 'x', old: 'ok', new: 'broken', groups: [3] } };
    assert.equal(checkEvent(bad), [
      'event 1 (package.state.change): payload.reason: required',
      "event 1 (package.state.change): payload.new: \"broken\" is not one of ok, failing, unresolved, blocked, untracked, unknown",
      'event 1 (package.state.change): payload.groups[0]: expected string, got integer',
    ]);
    assert.equal(checkEvent({ ...bad, type: 'no.such' }), ["event 1: type 'no.such' is not in the event catalogue"]);
  });

  it.run();
}
