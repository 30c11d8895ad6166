/**
 * Every event the service writes matches its catalogue schema: the ingest flow on the rpm fixture
 * repositories (v1, forced re-ingest, v2, a failing source), collection, package and group
 * changes, and results and waivers through the API with the default policies.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { addGroupMembers, addPackages, createCollection, createGroup, requestRegeneration, setPackageFlags, updateCollection } from '../../src/collections/service.ts';
import type { Database } from '../../src/db/database.ts';
import { checkEvent, eventCatalogue, eventEnvelope, envelopeSchema, validateAgainst } from '../../src/events/event-catalogue.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { createApp } from '../../src/http/app.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';

const SOURCES = ['bartender', 'baz', 'clash', 'foo', 'legacy', 'migrate', 'newthing', 'nosuch', 'qux', 'relops', 'richdeps', 'site', 'weakling', 'zap'];

for (const backend of databaseBackends()) {
  const it = suite(`event catalogue (${backend.name})`);
  let database: Database;
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
    const seen = new Set(events.map((e) => e.type));
    assert.equal(Object.keys(eventCatalogue).filter((t) => !seen.has(t)), [], 'every catalogued type was produced by these flows');
    const state = events.find((e) => e.type === 'package.state.change' && e.packageName === 'baz' && e.payload.new === 'unresolved')!;
    assert.equal(eventEnvelope(state).collection, 'fixture');
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
