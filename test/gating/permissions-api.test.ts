/**
 * The gating permissions API: admins grant and revoke who may post results and waive by
 * testcase glob (users, single tokens, token scopes); everyone else gets 401/403; grants take
 * effect on the next request.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createToken } from '../../src/users/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from './gating-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`gating permissions API (${backend.name})`);
  let f: GatingFixture;
  it.before(async () => {
    f = await openGatingFixture(backend);
  });
  it.after(() => f.database.close());

  const grant = (body: unknown, token = f.tokens.admin) => f.call('POST', '/api/gating/permissions', { token, body });
  const result = (testcase: string, token: string) => f.call('POST', '/api/v2.0/results', {
    token, body: { testcase, outcome: 'PASSED', data: { item: 'foo-1.0-1.fc40', type: 'koji_build' } },
  });
  const waive = (testcase: string, token: string) => f.call('POST', '/api/v1.0/waivers/', { token, body: {
    subject_type: 'koji_build', subject_identifier: 'foo-1.0-1.fc40', testcase, product_version: 'fedora-40', waived: true, comment: 'ok',
  } });

  it('only admins grant and revoke; any valid token lists', async () => {
    const body = { action: 'result', testcase_glob: 'dist.*', scopes: ['ci'] };
    assert.is((await f.call('POST', '/api/gating/permissions', { body })).status, 401);
    assert.is((await grant(body, 'rpl_nonsense')).status, 401);
    const refused = await grant(body, f.tokens.alice);
    assert.equal([refused.status, refused.json.message], [403, "this route needs a token with the 'admin' scope; this token has maintainer"]);
    assert.is((await grant(body, f.tokens.ci)).status, 403);
    assert.is((await f.call('GET', '/api/gating/permissions')).status, 401);
    assert.is((await f.call('DELETE', '/api/gating/permissions/1', { token: f.tokens.alice })).status, 403);
    assert.is((await f.call('DELETE', '/api/gating/permissions/1')).status, 401);
    const listed = await f.call('GET', '/api/gating/permissions', { token: f.tokens.alice });
    assert.equal([listed.status, listed.json], [200, { data: [] }]);
  });

  it('grants to a single token, a user and a scope, by testcase glob and action', async () => {
    const robot = await f.database.db.selectFrom('users').selectAll().where('name', '=', 'robot').executeTakeFirstOrThrow();
    const second = await createToken(f.database.db, robot, ['ci']);
    // Nothing granted yet: the route scope decides (ci posts results, maintainers waive).
    assert.is((await result('dist.rpmdeplint', second.token)).status, 201);

    const byToken = await grant({ action: 'result', testcase_glob: 'dist.*', tokens: [second.id], comment: 'the rpmdeplint runner' });
    assert.is(byToken.status, 201, byToken.text);
    assert.equal({ ...byToken.json, id: 0, created_at: '' }, {
      id: 0, action: 'result', testcase_glob: 'dist.*', users: [], scopes: [], tokens: [second.id], granted_by: 'root',
      comment: 'the rpmdeplint runner', created_at: '',
    });
    assert.is((await result('dist.rpmdeplint', second.token)).status, 201);
    // The same user's other token is not the granted one.
    const other = await result('dist.rpmdeplint', f.tokens.ci);
    assert.equal([other.status, other.json.message], [403, "user 'robot' may not post results for testcase 'dist.rpmdeplint' (see GET /api/gating/permissions)"]);
    assert.is((await result('fedora-ci.x', second.token)).status, 403);
    assert.is((await result('fedora-ci.x', f.tokens.admin)).status, 201);

    const byUser = await grant({ action: 'waive', testcase_glob: 'fedora-ci.*', users: ['bob'] });
    assert.is(byUser.status, 201);
    assert.is((await waive('fedora-ci.x', f.tokens.bob)).status, 201);
    assert.is((await waive('fedora-ci.x', f.tokens.alice)).status, 403);
    // Waiving is a separate action: the result grant does not let anyone waive dist.*.
    assert.is((await waive('dist.rpmdeplint', f.tokens.alice)).status, 403);
    const byScope = await grant({ action: 'waive', testcase_glob: 'dist.*', scopes: ['maintainer'] });
    assert.is((await waive('dist.rpmdeplint', f.tokens.alice)).status, 201);

    const listed = await f.call('GET', '/api/gating/permissions?action=waive', { token: f.tokens.ci });
    assert.equal(listed.json.data.map((p: any) => p.id), [byUser.json.id, byScope.json.id]);

    const revoked = await f.call('DELETE', `/api/gating/permissions/${byToken.json.id}`, { token: f.tokens.admin });
    assert.equal([revoked.status, revoked.json.id], [200, byToken.json.id]);
    // No result grant left: back to the route scope.
    assert.is((await result('dist.rpmdeplint', f.tokens.ci)).status, 201);
    assert.is((await f.call('DELETE', `/api/gating/permissions/${byToken.json.id}`, { token: f.tokens.admin })).status, 404);
  });

  it('bad grants are 400s naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ action: 'read', testcase_glob: 'x', scopes: ['ci'] }, 'action'],
      [{ action: 'result', scopes: ['ci'] }, 'testcase_glob'],
      [{ action: 'result', testcase_glob: '', scopes: ['ci'] }, 'testcase_glob'],
      [{ action: 'result', testcase_glob: 'x' }, 'users'],
      [{ action: 'result', testcase_glob: 'x', users: ['nobody'] }, 'users'],
      [{ action: 'result', testcase_glob: 'x', tokens: [999999] }, 'tokens'],
      [{ action: 'result', testcase_glob: 'x', tokens: ['1'] }, 'tokens[0]'],
      [{ action: 'result', testcase_glob: 'x', scopes: ['root'] }, 'scopes[0]'],
      [{ action: 'result', testcase_glob: 'x', scopes: ['ci'], extra: 1 }, 'body.extra'],
    ];
    for (const [body, field] of cases) {
      const response = await grant(body);
      assert.is(response.status, 400, `${JSON.stringify(body)}: ${response.text}`);
      assert.is(response.json.details.field, field, response.text);
    }
    assert.is((await f.call('DELETE', '/api/gating/permissions/abc', { token: f.tokens.admin })).status, 400);
  });

  it.run();
}
