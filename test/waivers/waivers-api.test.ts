/**
 * WaiverDB API v1.0: posting one waiver or a list, proxy waiving, revocation (latest wins),
 * filters and pagination, Greenwave's `+filtered` query, permissions and bad input.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addPermission } from '../../src/gating/permissions.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from '../gating/gating-fixture.ts';

const nvr = 'foo-1.0-1.fc40';
const waiver = (extra: Record<string, unknown> = {}) => ({
  subject_type: 'koji_build', subject_identifier: nvr, testcase: 'dist.rpmdeplint', product_version: 'fedora-40', waived: true, comment: 'known issue', ...extra,
});

for (const backend of databaseBackends()) {
  const it = suite(`waivers API (${backend.name})`);
  let f: GatingFixture;
  const post = (body: unknown, token = f.tokens.alice) => f.call('POST', '/api/v1.0/waivers/', { token, body });
  it.before(async () => {
    f = await openGatingFixture(backend);
  });
  it.after(() => f.database.close());

  it('POST one waiver: 201 with the WaiverDB representation', async () => {
    const r = await post(waiver());
    assert.is(r.status, 201, r.text);
    assert.match(r.json.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    assert.equal(r.json, {
      id: r.json.id, subject_type: 'koji_build', subject_identifier: nvr, subject: { type: 'koji_build', item: nvr }, testcase: 'dist.rpmdeplint',
      scenario: null, covers_all_scenarios: true, username: 'alice', proxied_by: null, product_version: 'fedora-40', waived: true,
      comment: 'known issue', timestamp: r.json.timestamp,
    });
    assert.equal((await f.call('GET', `/api/v1.0/waivers/${r.json.id}`)).json, r.json);
  });

  it('POST a list, proxy waiving by admins only, revocation', async () => {
    const list = await post([waiver({ testcase: 'a', scenario: 'x86_64' }), waiver({ testcase: 'b' })], f.tokens.bob);
    assert.is(list.status, 201, list.text);
    assert.equal(list.json.map((w: any) => [w.testcase, w.scenario, w.covers_all_scenarios, w.username]), [['a', 'x86_64', false, 'bob'], ['b', null, true, 'bob']]);
    const proxied = await post(waiver({ testcase: 'c', username: 'carol' }), f.tokens.admin);
    assert.equal([proxied.status, proxied.json.username, proxied.json.proxied_by], [201, 'carol', 'root']);
    const refused = await post(waiver({ testcase: 'c', username: 'carol' }), f.tokens.bob);
    assert.equal([refused.status, refused.json.message], [403, "only admins may waive on behalf of another user ('carol')"]);
    const revoked = await post(waiver({ testcase: 'b', waived: false, comment: 'fixed' }), f.tokens.bob);
    assert.is(revoked.status, 201);
    const current = await f.call('GET', '/api/v1.0/waivers/?testcase=b');
    assert.equal(current.json.data.map((w: any) => [w.id, w.waived]), [[revoked.json.id, false]]);
    const history = await f.call('GET', '/api/v1.0/waivers/?testcase=b&include_obsolete=true');
    assert.equal(history.json.data.map((w: any) => w.waived), [false, true]);
  });

  it('GET /waivers/ filters and pages from 1 with first/last links', async () => {
    const all = await f.call('GET', '/api/v1.0/waivers/?limit=2');
    assert.is(all.status, 200);
    assert.equal(Object.keys(all.json), ['data', 'prev', 'next', 'first', 'last']);
    assert.is(all.json.data.length, 2);
    assert.is(all.json.prev, null);
    assert.is(all.json.next, 'http://ripple.test/api/v1.0/waivers/?limit=2&page=2');
    assert.is(all.json.first, 'http://ripple.test/api/v1.0/waivers/?limit=2&page=1');
    // Current waivers: dist.rpmdeplint, a, b (its revocation), c.
    assert.is(all.json.last, 'http://ripple.test/api/v1.0/waivers/?limit=2&page=2');
    const last = await f.call('GET', '/api/v1.0/waivers/?limit=2&page=2');
    assert.equal([last.json.data.length, last.json.next, last.json.prev], [2, null, 'http://ripple.test/api/v1.0/waivers/?limit=2&page=1']);
    const beyond = await f.call('GET', '/api/v1.0/waivers/?limit=2&page=9');
    assert.equal([beyond.json.data.length, beyond.json.prev], [0, 'http://ripple.test/api/v1.0/waivers/?limit=2&page=2']);
    assert.equal((await f.call('GET', '/api/v1.0/waivers/?username=carol&proxied_by=root')).json.data.map((w: any) => w.testcase), ['c']);
    assert.equal((await f.call('GET', '/api/v1.0/waivers/?scenario=x86_64')).json.data.map((w: any) => w.testcase), ['a']);
    assert.is((await f.call('GET', '/api/v1.0/waivers/?since=2000-01-01T00:00:00,2001-01-01')).json.data.length, 0);
  });

  it("POST /waivers/+filtered answers Greenwave's query", async () => {
    const r = await f.call('POST', '/api/v1.0/waivers/+filtered', { body: {
      filters: [
        { subject_type: 'koji_build', subject_identifier: nvr, product_version: 'fedora-40', testcase: 'dist.rpmdeplint' },
        { subject_type: 'koji_build', subject_identifier: nvr, product_version: 'fedora-40', testcase: 'a', scenario: 'x86_64' },
        { subject_type: 'koji_build', subject_identifier: nvr, product_version: 'fedora-41' },
      ],
      include_obsolete: false,
    } });
    assert.is(r.status, 200, r.text);
    assert.equal(Object.keys(r.json), ['data']);
    assert.equal(r.json.data.map((w: any) => w.testcase), ['a', 'dist.rpmdeplint']);
  });

  it('bad input: 400; missing token: 401; no permission: 403', async () => {
    const cases: [unknown, RegExp][] = [
      [waiver({ comment: undefined }), /comment is required/],
      [waiver({ product_version: undefined }), /product_version is required/],
      [waiver({ waived: 'yes' }), /waived must be true or false/],
      [waiver({ subject_type: 'nonsense' }), /unknown subject type 'nonsense'/],
      [waiver({ testcase: '' }), /testcase must be at least 1/],
      [[], /at least 1 entry/],
      [[waiver(), 42], /body\[1\] must be a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.is(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.message, message);
    }
    assert.is((await f.call('POST', '/api/v1.0/waivers/', { rawBody: '{' , token: f.tokens.alice })).status, 400);
    assert.is((await f.call('POST', '/api/v1.0/waivers/+filtered', { body: { filters: [{ colour: 'red' }] } })).status, 400);
    assert.is((await f.call('GET', '/api/v1.0/waivers/?include_obsolete=maybe')).status, 400);
    assert.is((await f.call('GET', '/api/v1.0/waivers/x')).status, 400);
    assert.is((await f.call('GET', '/api/v1.0/waivers/123456')).status, 404);
    assert.is((await f.call('POST', '/api/v1.0/waivers/', { body: waiver() })).status, 401);
    assert.is((await post(waiver(), f.tokens.ci)).status, 403);
    await addPermission(f.database.db, { action: 'waive', testcaseGlob: 'fedora-ci.*', users: ['bob'] });
    await addPermission(f.database.db, { action: 'waive', testcaseGlob: 'dist.*', scopes: ['maintainer'] });
    assert.is((await post(waiver({ testcase: 'fedora-ci.x' }), f.tokens.bob)).status, 201);
    const refused = await post(waiver({ testcase: 'fedora-ci.x' }));
    assert.equal([refused.status, refused.json.message], [403, "user 'alice' may not waive testcase 'fedora-ci.x' (see GET /api/gating/permissions)"]);
    assert.is((await post(waiver({ testcase: 'dist.abi' }))).status, 201);
    assert.is((await post(waiver({ testcase: 'other' }), f.tokens.admin)).status, 201);
  });

  it('waivers are append-only in the database too', async () => {
    let error: unknown;
    try {
      await f.database.db.updateTable('waivers').set({ waived: false }).execute();
    } catch (e) {
      error = e;
    }
    assert.match(String(error), /append-only/);
  });

  it.run();
}
