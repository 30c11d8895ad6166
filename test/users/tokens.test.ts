import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate, createToken, createUser, getUser, revokeToken, sha256Hex } from '../../src/users/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, type AppFixture } from '../http/app-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`users and tokens (${backend.name})`);
  let f: AppFixture;
  it.before(async () => { f = await openAppFixture(backend); });
  it.after(() => f.database.close());

  it('tokens: shown once, stored hashed, authenticate until revoked or expired', async () => {
    const db = f.database.db;
    const carol = await createUser(db, { name: 'carol' });
    const created = await createToken(db, carol, ['maintainer', 'ci'], 'laptop');
    assert.match(created.token, /^rpl_[A-Za-z0-9_-]{43}$/);
    const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.is(row.token_sha256, sha256Hex(created.token));
    assert.is(JSON.stringify(row).includes(created.token), false);
    const auth = await authenticate(db, created.token);
    assert.equal([auth?.user.name, auth?.scopes], ['carol', ['maintainer', 'ci']]);
    const used = await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.ok(used.last_used_at);
    await authenticate(db, created.token);
    const again = await db.selectFrom('api_tokens').select('last_used_at').where('id', '=', created.id).executeTakeFirstOrThrow();
    assert.equal(again.last_used_at, used.last_used_at, 'refreshed at most once a minute');

    await revokeToken(db, created.id);
    assert.is(await authenticate(db, created.token), null);
    const expiring = await createToken(db, carol, ['ci'], '', new Date(Date.now() + 60_000));
    await db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expiring.id).execute();
    assert.is(await authenticate(db, expiring.token), null);
    assert.is(await authenticate(db, 'rpl_' + 'A'.repeat(43)), null);
    // The admin scope needs an admin user.
    await createToken(db, carol, ['admin'], '').then(() => assert.unreachable(), (e) => assert.is(e.code, 'forbidden'));
    await createToken(db, carol, ['root'], '').then(() => assert.unreachable(), (e) => assert.is(e.details.field, 'scopes[0]'));
    await createUser(db, { name: 'global' }).then(() => assert.unreachable(), (e) => assert.is(e.details.field, 'name'));
  });

  it('concurrent lookups (batched into one statement) of valid, revoked and unknown tokens each get their own answer', async () => {
    const db = f.database.db;
    const erin = await createUser(db, { name: 'erin' });
    const [a, b, revoked] = [await createToken(db, erin, ['ci']), await createToken(db, erin, ['maintainer']), await createToken(db, erin, ['ci'])];
    await revokeToken(db, revoked.id);
    const asked = [a.token, b.token, revoked.token, 'rpl_' + 'B'.repeat(43), a.token, 'not-a-token'];
    const answers = await Promise.all(asked.map((t) => authenticate(db, t)));
    assert.equal(answers.map((x) => x && [x.tokenId, x.scopes]), [[a.id, ['ci']], [b.id, ['maintainer']], null, null, [a.id, ['ci']], null]);
    const used = await db.selectFrom('api_tokens').select(['id', 'last_used_at']).where('user_id', '=', erin.id).orderBy('id').execute();
    assert.equal(used.map((u) => u.last_used_at !== null), [true, true, false], 'last used: the valid ones, once');
  });

  it('routes: /api/me, create for self or (admin) others, no escalation, revoke', async () => {
    const me = await f.call('GET', '/api/me', { token: f.tokens.alice });
    assert.equal([me.json.user.name, me.json.scopes], ['alice', ['maintainer']]);
    assert.is((await f.call('GET', '/api/me')).status, 401);
    assert.is((await f.call('GET', '/api/me', { token: 'garbage' })).status, 401);
    assert.is((await f.call('GET', '/api/me', { token: f.tokens.admin })).json.scopes.length, 3);

    const own = await f.call('POST', '/api/tokens', { token: f.tokens.alice, body: { scopes: ['maintainer'], description: 'ci box', expiresAt: '2099-01-01T00:00:00Z' } });
    assert.is(own.status, 201);
    assert.is((await f.call('GET', '/api/me', { token: own.json.token })).json.user.name, 'alice');
    assert.is((await f.call('POST', '/api/tokens', { token: f.tokens.ci, body: { scopes: ['maintainer'] } })).status, 403);
    assert.is((await f.call('POST', '/api/tokens', { token: f.tokens.alice, body: { user: 'bob', scopes: ['ci'] } })).status, 403);
    assert.is((await f.call('POST', '/api/tokens', { token: f.tokens.alice, body: { scopes: ['maintainer'], expiresAt: 'soon' } })).json.details.field, 'expiresAt');
    const forBob = await f.call('POST', '/api/tokens', { token: f.tokens.admin, body: { user: 'bob', scopes: ['ci'] } });
    assert.is(forBob.status, 201);

    assert.is((await f.call('DELETE', `/api/tokens/${forBob.json.id}`, { token: f.tokens.alice })).status, 403);
    assert.is((await f.call('DELETE', `/api/tokens/${own.json.id}`, { token: f.tokens.alice })).status, 200);
    assert.is((await f.call('GET', '/api/me', { token: own.json.token })).status, 401);
    assert.is((await f.call('DELETE', '/api/tokens/999999', { token: f.tokens.admin })).status, 404);
    assert.is((await f.call('DELETE', '/api/tokens/abc', { token: f.tokens.admin })).json.details.field, 'id');

    assert.is((await f.call('POST', '/api/users', { token: f.tokens.admin, body: { name: 'dave', email: 'dave@example.org' } })).status, 201);
    assert.is((await getUser(f.database.db, 'dave')).email, 'dave@example.org');
    assert.is((await f.call('POST', '/api/users', { token: f.tokens.admin, body: { name: 'dave' } })).status, 409);
    assert.is((await f.call('POST', '/api/users', { token: f.tokens.alice, body: { name: 'eve' } })).status, 403);
  });

  it.run();
}
