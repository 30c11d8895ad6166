import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addPackages, createCollection, setPackageFlags } from '../../src/collections/service.ts';
import { RippleError } from '../../src/errors.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, rpmCollection, type AppFixture } from '../http/app-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`collections (${backend.name})`);
  let f: AppFixture;
  it.before(async () => { f = await openAppFixture(backend); });
  it.after(() => f.database.close());

  const events = () => f.database.db.selectFrom('events').selectAll().orderBy('id').execute();

  it('create, read, list, update, regenerate, delete; each appends a collection.change event', async () => {
    const created = await f.call('POST', '/api/collections', { token: f.tokens.admin, body: { ...rpmCollection('f40'), displayName: 'Fedora 40', resolverOptions: { weakDependencies: false }, pollIntervalSeconds: 600 } });
    assert.is(created.status, 201);
    assert.is(created.json.displayName, 'Fedora 40');
    assert.equal(created.json.sources, [{ url: '../shared/data/rpm-md/base' }, { url: 'file:///srv/updates' }]);
    const debian = await f.call('POST', '/api/collections', { token: f.tokens.admin, body: { name: 'bookworm', format: 'debian', sources: [{ url: 'https://example.org/debian', suite: 'bookworm', components: ['main'] }], baseBuildroot: { packages: ['build-essential'], essential: true }, resolverOptions: { profiles: ['nocheck'], includeIndep: false } } });
    assert.is(debian.status, 201);
    assert.equal((await f.call('GET', '/api/collections')).json.map((c: any) => c.name), ['bookworm', 'f40']);
    assert.is((await f.call('POST', '/api/collections', { token: f.tokens.admin, body: rpmCollection('f40') })).status, 409);

    const patched = await f.call('PATCH', '/api/collections/f40', { token: f.tokens.admin, body: { priorityCoefficient: 0.5, paused: true } });
    assert.is(patched.status, 200);
    assert.is(patched.json.priorityCoefficient, 0.5);
    assert.is(patched.json.paused, true);
    const regenerated = await f.call('POST', '/api/collections/f40/regenerate', { token: f.tokens.admin });
    assert.ok(regenerated.json.regenerateRequestedAt);

    await addPackages(f.database.db, 'f40', ['bash', 'gcc']);
    const detail = await f.call('GET', '/api/collections/f40');
    assert.equal(detail.json.packageCounts, { unknown: 2 });

    assert.is((await f.call('DELETE', '/api/collections/bookworm', { token: f.tokens.admin })).status, 200);
    assert.is((await f.call('GET', '/api/collections/bookworm')).status, 404);
    const log = (await events()).filter((e) => e.type === 'collection.change').map((e) => e.payload.action);
    assert.equal(log, ['created', 'created', 'updated', 'regenerate_requested', 'packages_added', 'deleted']);
    const update = (await events()).find((e) => e.payload.action === 'updated')!;
    assert.equal(update.payload.changes, { paused: { old: false, new: true }, priority_coefficient: { old: 1, new: 0.5 } });
  });

  it('invalid bodies are 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ ...rpmCollection('Bad Name') }, 'name'],
      [{ ...rpmCollection('x1'), format: 'deb' }, 'format'],
      [{ ...rpmCollection('x1'), sources: [] }, 'sources'],
      [{ ...rpmCollection('x1'), sources: [{ url: 'ftp://host/repo' }] }, 'sources[0].url'],
      [{ ...rpmCollection('x1'), sources: [{ url: 'file:///a', mirror: true }] }, 'sources[0].mirror'],
      [{ ...rpmCollection('x1'), baseBuildroot: { packages: 'gcc' } }, 'baseBuildroot.packages'],
      [{ ...rpmCollection('x1'), baseBuildroot: {} }, 'baseBuildroot.packages'],
      [{ ...rpmCollection('x1'), format: 'debian', baseBuildroot: { group: 'build' } }, 'baseBuildroot.group'],
      [{ ...rpmCollection('x1'), resolverOptions: { weakDeps: true } }, 'resolverOptions.weakDeps'],
      [{ ...rpmCollection('x1'), priorityCoefficient: -1 }, 'priorityCoefficient'],
      [{ ...rpmCollection('x1'), pollIntervalSeconds: 59 }, 'pollIntervalSeconds'],
      [{ ...rpmCollection('x1'), architectures: ['x86 64'] }, 'architectures[0]'],
      [{ ...rpmCollection('x1'), colour: 'red' }, 'colour'],
      [{ name: 'x1', format: 'rpm-md' }, 'sources'],
    ];
    for (const [body, field] of cases) {
      const response = await f.call('POST', '/api/collections', { token: f.tokens.admin, body });
      assert.is(response.status, 400, JSON.stringify(body));
      assert.is(response.json.code, 'invalid_input');
      assert.is(response.json.details.field, field, response.json.message);
    }
    const renamed = await f.call('PATCH', '/api/collections/f40', { token: f.tokens.admin, body: { name: 'f41' } });
    assert.is(renamed.json.details.field, 'name');
    assert.is((await f.call('PATCH', '/api/collections/nope', { token: f.tokens.admin, body: { paused: true } })).status, 404);
  });

  it('write routes need a token with the right scope', async () => {
    assert.is((await f.call('POST', '/api/collections', { body: rpmCollection('x2') })).status, 401);
    assert.is((await f.call('POST', '/api/collections', { token: 'rpl_unknown', body: rpmCollection('x2') })).status, 401);
    assert.is((await f.call('DELETE', '/api/collections/f40', { token: f.tokens.alice })).status, 403);
    assert.is((await f.call('PATCH', '/api/collections/f40/packages/bash', { token: f.tokens.ci, body: { blocked: true } })).status, 403);
  });

  it('package flags: set, validated, evented; a failing change leaves neither row change nor event', async () => {
    const response = await f.call('PATCH', '/api/collections/f40/packages/bash', { token: f.tokens.alice, body: { blocked: true, manualPriority: 30, archOverride: ['x86_64'], snoozeUntil: '2030-01-01T00:00:00Z' } });
    assert.is(response.status, 200);
    assert.equal(response.json, { tracked: true, blocked: true, archOverride: ['x86_64'], manualPriority: 30, staticPriority: 0, snoozeUntil: '2030-01-01T00:00:00.000Z' });
    const [event, stateEvent] = (await events()).slice(-2);
    assert.is(event!.type, 'package.change');
    assert.is(event!.package_name, 'bash');
    assert.equal((event!.payload.changes as any).blocked, { old: false, new: true });
    // Blocking changes the state at once, with its own event and history row.
    assert.is(stateEvent!.type, 'package.state.change');
    assert.is(stateEvent!.payload.new, 'blocked');
    const history = await f.database.db.selectFrom('package_state_changes').select(['state', 'reason']).execute();
    assert.equal(history.map((h) => h.state), ['blocked']);

    assert.is((await f.call('PATCH', '/api/collections/f40/packages/bash', { token: f.tokens.alice, body: { snoozeUntil: 'tomorrow' } })).json.details.field, 'snoozeUntil');
    assert.is((await f.call('PATCH', '/api/collections/f40/packages/nope', { token: f.tokens.alice, body: { blocked: true } })).status, 404);
    assert.is((await f.call('PATCH', '/api/collections/f40/packages/bash', { token: f.tokens.alice, body: {} })).status, 400);

    // An event append that fails (bad type) after the write must roll the write back with it.
    const before = (await events()).length;
    const failing = await f.database.db.transaction().execute(async (trx) => {
      await trx.updateTable('packages').set({ manual_priority: 999 }).where('name', '=', 'gcc').execute();
      const { appendEvents } = await import('../../src/events/event-log.ts');
      await appendEvents(trx, [{ type: 'Not A Type' }]);
    }).catch((e: unknown) => e);
    assert.instance(failing, RippleError);
    assert.is((await events()).length, before);
    const gcc = await f.database.db.selectFrom('packages').select('manual_priority').where('name', '=', 'gcc').executeTakeFirstOrThrow();
    assert.is(gcc.manual_priority, 0);
    // And a service call refused mid-transaction (unknown collection) appends nothing.
    await setPackageFlags(f.database.db, 'nope', 'bash', { blocked: true }).catch(() => undefined);
    await createCollection(f.database.db, { ...rpmCollection('f40') }).catch(() => undefined);
    assert.is((await events()).length, before);
  });

  it('adding packages reports new and existing names', async () => {
    const response = await f.call('POST', '/api/collections/f40/packages', { token: f.tokens.alice, body: { packages: ['gcc', 'zlib', 'zlib'] } });
    assert.equal(response.json, { added: ['zlib'], existing: ['gcc'] });
    assert.is((await f.call('POST', '/api/collections/f40/packages', { token: f.tokens.alice, body: { packages: ['bad name'] } })).json.details.field, 'packages[0]');
  });

  it.run();
}
