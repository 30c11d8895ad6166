import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addPackages } from '../../src/collections/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, rpmCollection, type AppFixture } from '../http/app-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`groups (${backend.name})`);
  let f: AppFixture;
  it.before(async () => {
    f = await openAppFixture(backend);
    await f.call('POST', '/api/collections', { token: f.tokens.admin, body: rpmCollection('f40') });
    await addPackages(f.database.db, 'f40', ['gcc', 'make']);
  });
  it.after(() => f.database.close());

  it('a maintainer creates a group in its own namespace and edits it; others may not', async () => {
    const created = await f.call('POST', '/api/groups', { token: f.tokens.alice, body: { name: 'tools', description: 'compilers', packages: ['gcc', 'make'] } });
    assert.is(created.status, 201);
    assert.equal([created.json.namespace, created.json.members, created.json.maintainers], ['alice', ['gcc', 'make'], ['alice']]);
    assert.is((await f.call('POST', '/api/groups', { token: f.tokens.alice, body: { name: 'tools' } })).status, 409);
    assert.is((await f.call('POST', '/api/groups', { token: f.tokens.alice, body: { namespace: 'global', name: 'all' } })).status, 403);
    assert.is((await f.call('POST', '/api/groups', { token: f.tokens.alice, body: { name: 'bad name' } })).json.details.field, 'name');

    assert.is((await f.call('POST', '/api/groups/alice/tools/members', { token: f.tokens.bob, body: { packages: ['bash'] } })).status, 403);
    const added = await f.call('POST', '/api/groups/alice/tools/members', { token: f.tokens.alice, body: { packages: ['bash'] } });
    assert.equal(added.json.members, ['bash', 'gcc', 'make']);
    const removed = await f.call('DELETE', '/api/groups/alice/tools/members?package=make', { token: f.tokens.alice });
    assert.equal(removed.json.members, ['bash', 'gcc']);
    // Once bob maintains it, bob may edit it too.
    await f.call('PATCH', '/api/groups/alice/tools', { token: f.tokens.alice, body: { maintainers: ['alice', 'bob'] } });
    assert.is((await f.call('PATCH', '/api/groups/alice/tools', { token: f.tokens.bob, body: { description: 'toolchain' } })).json.description, 'toolchain');
    assert.is((await f.call('PATCH', '/api/groups/alice/tools', { token: f.tokens.alice, body: { maintainers: ['nobody'] } })).json.details.field, 'maintainers');

    const detail = (await f.call('GET', '/api/groups/alice/tools')).json;
    assert.equal(detail.packages, [{ name: 'bash', states: {} }, { name: 'gcc', states: { f40: { state: 'unknown', since: detail.packages[1].states.f40.since } } }]);
    assert.equal((await f.call('GET', '/api/groups?package=gcc')).json.map((g: any) => `${g.namespace}/${g.name}`), ['alice/tools']);
    assert.is((await f.call('GET', '/api/groups/alice/none')).status, 404);

    const types = (await f.database.db.selectFrom('events').select(['type', 'payload']).where('type', '=', 'group.change').orderBy('id').execute()).map((e) => e.payload.action);
    assert.equal(types, ['created', 'members_added', 'members_removed', 'updated', 'updated']);
  });

  it('admins manage global groups and anyone\'s; deletion', async () => {
    const global = await f.call('POST', '/api/groups', { token: f.tokens.admin, body: { namespace: 'global', name: 'base' } });
    assert.is(global.json.namespace, null);
    assert.is((await f.call('DELETE', '/api/groups/global/base', { token: f.tokens.alice })).status, 403);
    assert.is((await f.call('DELETE', '/api/groups/global/base', { token: f.tokens.admin })).status, 200);
    assert.is((await f.call('DELETE', '/api/groups/alice/tools', { token: f.tokens.admin })).status, 200);
    assert.equal((await f.call('GET', '/api/groups')).json, []);
  });

  it.run();
}
