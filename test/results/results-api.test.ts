/**
 * ResultsDB API v2.0: the bodies CI systems post, every /results filter, /results/latest with
 * Greenwave's own _distinct_on query, bad input and authorisation, and the index plan of the
 * latest-per-subject query on a table of real size.
 */
import { CompiledQuery } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evidenceQuery } from '../../src/gating/decision.ts';
import { addPermission } from '../../src/gating/permissions.ts';
import { makeSubject } from '../../src/gating/subject-types.ts';
import { latestResultsQuery } from '../../src/results/queries.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from '../gating/gating-fixture.ts';

const nvr = 'foo-1.0-1.fc40';
const base = 'http://ripple.test/api/v2.0';

for (const backend of databaseBackends()) {
  const it = suite(`results API (${backend.name})`);
  let f: GatingFixture;
  const post = (body: unknown, token = f.tokens.ci) => f.call('POST', '/api/v2.0/results', { token, body });
  it.before(async () => {
    f = await openGatingFixture(backend);
  });
  it.after(() => f.database.close());

  it('POST /results stores a result and answers with ResultsDB JSON', async () => {
    const response = await post({
      testcase: { name: 'dist.rpmdeplint', ref_url: 'https://docs.example.org/rpmdeplint' },
      outcome: 'passed',
      note: 'all good',
      ref_url: 'https://ci.example.org/job/1',
      groups: ['27f94e36-62ec-11e6-83fd-525400d7d6a4'],
      data: { item: nvr, type: 'koji_build', arch: ['x86_64', 'aarch64'], count: 3, flag: true, nothing: null },
      submit_time: 1700000000123,
    });
    assert.is(response.status, 201, response.text);
    assert.equal(response.json, {
      id: response.json.id,
      groups: ['27f94e36-62ec-11e6-83fd-525400d7d6a4'],
      testcase: { name: 'dist.rpmdeplint', ref_url: 'https://docs.example.org/rpmdeplint', href: `${base}/testcases/dist.rpmdeplint` },
      submit_time: '2023-11-14T22:13:20.123000',
      outcome: 'PASSED',
      note: 'all good',
      ref_url: 'https://ci.example.org/job/1',
      data: { arch: ['aarch64', 'x86_64'], count: ['3'], flag: ['true'], item: [nvr], type: ['koji_build'] },
      href: `${base}/results/${response.json.id}`,
    });
    const again = await f.call('GET', `/api/v2.0/results/${response.json.id}`);
    assert.equal(again.json, response.json);
    const testcase = await f.call('GET', '/api/v2.0/testcases/dist.rpmdeplint');
    assert.equal(testcase.json, { name: 'dist.rpmdeplint', ref_url: 'https://docs.example.org/rpmdeplint', href: `${base}/testcases/dist.rpmdeplint` });
    const group = await f.call('GET', '/api/v2.0/groups/27f94e36-62ec-11e6-83fd-525400d7d6a4');
    assert.is(group.json.results_count, 1);
    assert.is(group.json.results, `${base}/results?groups=27f94e36-62ec-11e6-83fd-525400d7d6a4`);
  });

  it('GET /results: every filter, sorting and pagination', async () => {
    const rows: [string, string, string, string][] = [
      // testcase, outcome, scenario, submit_time
      ['fedora-ci.koji-build.tier0.functional', 'FAILED', 'a', '2024-01-01T00:00:00Z'],
      ['fedora-ci.koji-build.tier0.functional', 'PASSED', 'a', '2024-01-02T00:00:00Z'],
      ['fedora-ci.koji-build.tier0.functional', 'FAILED', 'b', '2024-01-03T00:00:00Z'],
      ['fedora-ci.koji-build.tier1.functional', 'INFO', 'a', '2024-01-04T00:00:00'],
    ];
    for (const [testcase, outcome, scenario, time] of rows) {
      const r = await post({ testcase, outcome, data: { item: nvr, type: 'koji_build', scenario, system_architecture: 'x86_64' }, submit_time: time });
      assert.is(r.status, 201, r.text);
    }
    await post({ testcase: 'fedora-ci.koji-build.tier0.functional', outcome: 'PASSED', data: { item: 'bar-2-1.fc40', type: 'koji_build' }, submit_time: '2024-01-05T00:00:00Z' });
    const ids = async (query: string) => {
      const r = await f.call('GET', `/api/v2.0/results?${query}`);
      assert.is(r.status, 200, `${query}: ${r.text}`);
      return r.json.data.map((d: any) => `${d.testcase.name.replace('fedora-ci.koji-build.', '')}/${d.outcome}/${d.data.scenario?.[0] ?? '-'}`);
    };
    assert.equal(await ids(`item=${nvr}&testcases:like=fedora-ci.*`), ['tier1.functional/INFO/a', 'tier0.functional/FAILED/b', 'tier0.functional/PASSED/a', 'tier0.functional/FAILED/a']);
    assert.equal(await ids(`item=${nvr}&outcome=failed&_sort=asc:submit_time`), ['tier0.functional/FAILED/a', 'tier0.functional/FAILED/b']);
    assert.equal(await ids(`testcases=fedora-ci.koji-build.tier1.functional,nothing`), ['tier1.functional/INFO/a']);
    assert.equal(await ids(`item=${nvr}&scenario=b,c`), ['tier0.functional/FAILED/b']);
    assert.equal(await ids(`item:like=foo-*&scenario=a&outcome=PASSED,INFO`), ['tier1.functional/INFO/a', 'tier0.functional/PASSED/a']);
    assert.equal(await ids('since=2024-01-02T00:00:00Z,2024-01-03T00:00:00Z'), ['tier0.functional/FAILED/b', 'tier0.functional/PASSED/a']);
    assert.equal(await ids('groups=27f94e36-62ec-11e6-83fd-525400d7d6a4'), ['dist.rpmdeplint/PASSED/-']);
    const first = await f.call('GET', `/api/v2.0/results?item=${nvr}&limit=2`);
    assert.is(first.json.data.length, 2);
    assert.is(first.json.prev, null);
    assert.is(first.json.next, `${base}/results?item=${nvr}&limit=2&page=1`);
    const last = await f.call('GET', `/api/v2.0/results?item=${nvr}&limit=2&page=2`);
    assert.is(last.json.data.length, 1);
    assert.is(last.json.prev, `${base}/results?item=${nvr}&limit=2&page=1`);
    assert.is(last.json.next, null);
  });

  it("GET /results/latest answers Greenwave's own distinct-on query", async () => {
    const testcases = 'fedora-ci.koji-build.tier0.functional,fedora-ci.koji-build.tier1.functional';
    const r = await f.call('GET', `/api/v2.0/results/latest?_distinct_on=scenario,system_architecture,system_variant&item=${nvr}&type=koji_build&testcases=${testcases}`);
    assert.is(r.status, 200, r.text);
    assert.equal(Object.keys(r.json), ['data']);
    const seen = r.json.data.map((d: any) => [d.testcase.name, d.outcome, d.data.scenario[0], d.submit_time]);
    assert.equal(seen, [
      ['fedora-ci.koji-build.tier1.functional', 'INFO', 'a', '2024-01-04T00:00:00.000000'],
      ['fedora-ci.koji-build.tier0.functional', 'FAILED', 'b', '2024-01-03T00:00:00.000000'],
      ['fedora-ci.koji-build.tier0.functional', 'PASSED', 'a', '2024-01-02T00:00:00.000000'],
    ]);
    const perTestcase = await f.call('GET', `/api/v2.0/results/latest?item=${nvr}`);
    assert.equal(perTestcase.json.data.map((d: any) => d.testcase.name), ['fedora-ci.koji-build.tier1.functional', 'fedora-ci.koji-build.tier0.functional', 'dist.rpmdeplint']);
    const all = await f.call('GET', '/api/v2.0/results/latest');
    assert.is(all.json.data.find((d: any) => d.testcase.name === 'fedora-ci.koji-build.tier0.functional').data.item[0], 'bar-2-1.fc40');
    const refused = await f.call('GET', '/api/v2.0/results/latest?_distinct_on=scenario');
    assert.is(refused.status, 400);
    assert.match(refused.json.message, /at least one filter/);
  });

  it('bad input is a 400 naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ testcase: 'x', outcome: 'GREAT' }, /outcome must be one of PASSED/],
      [{ testcase: 'x', outcome: 'PASSED', data: { 'bad:key': 'v' } }, /must not contain ':'/],
      [{ testcase: 'x', outcome: 'PASSED', submit_time: 'yesterday' }, /submit_time must be milliseconds since the epoch or an ISO 8601/],
      [{ testcase: 'x', outcome: 'PASSED', submit_time: '2024-13-45T00:00:00' }, /submit_time/],
      [{ outcome: 'PASSED' }, /testcase is required/],
      [{ testcase: { ref_url: 'x' }, outcome: 'PASSED' }, /testcase.name must be a string/],
      [{ testcase: 'x', outcome: 'PASSED', data: { item: 'x'.repeat(1000) } }, /data.item must be at most 450/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.is(r.status, 400, JSON.stringify(body));
      assert.match(r.json.message, message);
    }
    for (const query of ['outcome=NOPE', 'since=last-week', 'since=2024-01-01,2024-02-01,2024-03-01', 'a:b:like=x', 'limit=0', 'page=-1', '_sort=random']) {
      const r = await f.call('GET', `/api/v2.0/results?${query}`);
      assert.is(r.status, 400, `${query}: ${r.text}`);
      assert.type(r.json.message, 'string');
    }
    assert.is((await f.call('GET', '/api/v2.0/results/999999')).status, 404);
    assert.is((await f.call('GET', '/api/v2.0/results/abc')).status, 400);
  });

  it('posting needs a ci token, and a permission when permissions are configured', async () => {
    const body = { testcase: 'ripple.scratch-build', outcome: 'PASSED', data: { item: 'f40/bash', type: 'ripple_package' } };
    assert.is((await f.call('POST', '/api/v2.0/results', { body })).status, 401);
    assert.is((await post(body, 'rpl_nonsense')).status, 401);
    assert.is((await post(body, f.tokens.alice)).status, 403);
    await addPermission(f.database.db, { action: 'result', testcaseGlob: 'fedora-ci.*', users: ['robot'] });
    const refused = await post(body);
    assert.is(refused.status, 403);
    assert.match(refused.json.message, /may not post results for testcase 'ripple.scratch-build'/);
    assert.is((await post({ ...body, testcase: 'fedora-ci.x' })).status, 201);
    assert.is((await post(body, f.tokens.admin)).status, 201);
    await f.database.db.deleteFrom('gating_permissions').execute();
  });

  it("nested ResultsDB routes: a testcase's and a group's results, the landing page, groups without uuid", async () => {
    const group = { description: 'nightly run', ref_url: 'https://ci.example.org/nightly' };
    const posted = await post({ testcase: 'nested.case', outcome: 'FAILED', groups: [group], data: { item: 'nested-1-1.fc40', type: 'koji_build' } });
    assert.is(posted.status, 201, posted.text);
    const uuid = posted.json.groups[0];
    assert.match(uuid, /^[0-9a-f-]{36}$/);
    await post({ testcase: 'nested.case', outcome: 'PASSED', data: { item: 'nested-2-1.fc40', type: 'koji_build' } });
    const byTestcase = await f.call('GET', '/api/v2.0/testcases/nested.case/results?limit=1');
    assert.is(byTestcase.status, 200);
    assert.equal([byTestcase.json.data.map((r: any) => r.data.item[0]), byTestcase.json.prev, byTestcase.json.next],
      [['nested-2-1.fc40'], null, `${base.replace('/api/v2.0', '')}/api/v2.0/testcases/nested.case/results?limit=1&page=1`]);
    const failed = await f.call('GET', '/api/v2.0/testcases/nested.case/results?outcome=FAILED&testcases=other');
    assert.equal(failed.json.data.map((r: any) => r.id), [posted.json.id]);
    const byGroup = await f.call('GET', `/api/v2.0/groups/${uuid}/results`);
    assert.equal(byGroup.json.data, [posted.json]);
    const described = await f.call('GET', `/api/v2.0/groups?description=${encodeURIComponent('nightly run')},other`);
    assert.equal(described.json.data.map((g: any) => [g.uuid, g.ref_url]), [[uuid, group.ref_url]]);
    assert.is((await f.call('GET', '/api/v2.0/testcases/no.such.case/results')).status, 404);
    assert.is((await f.call('GET', '/api/v2.0/groups/no-such-group/results')).status, 404);
    assert.is((await f.call('GET', '/api/v2.0/testcases/nested.case/results?since=yesterday')).status, 400);
    for (const path of ['/api/v2.0', '/api/v2.0/']) {
      const landing = await f.call('GET', path);
      assert.equal([landing.status, landing.json.results, landing.json.outcomes.slice(0, 4)],
        [200, `${base}/results`, ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION']]);
    }
  });

  it('the latest-per-subject and decision queries use indexes, not a scan, on a large table', async () => {
    const db = f.database.db;
    const count = 40_000;
    await db.executeQuery(CompiledQuery.raw(`
      insert into testcases (name) select 'bulk.' || g from generate_series(1, 50) g on conflict do nothing;
      with t as (select id, row_number() over (order by id) n from testcases where name like 'bulk.%'),
      r as (insert into results (testcase_id, outcome, submit_time)
            select t.id, 'PASSED', now() - g * interval '1 second' from generate_series(1, ${count}) g join t on t.n = 1 + g % 50 returning id)
      insert into result_data (result_id, key, value)
        select id, 'item', 'pkg-' || (id % 5000) || '-1.fc40' from r union all select id, 'type', 'koji_build' from r
        union all select id, 'scenario', 's' || (id % 3) from r`));
    await db.executeQuery(CompiledQuery.raw('analyze'));
    const query = latestResultsQuery({ data: [{ key: 'item', values: ['pkg-7-1.fc40'], like: false }, { key: 'type', values: ['koji_build'], like: false }] },
      ['scenario', 'system_architecture', 'system_variant']).compile(db);
    const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]));
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.not.match(text, /Seq Scan on results\b/, text);
    assert.not.match(text, /Seq Scan on result_data\b/, text);
    const evidence = evidenceQuery([makeSubject('koji_build', 'pkg-7-1.fc40', 'subject')], 'fedora-40');
    const evidencePlan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${evidence.sql}`, [...evidence.parameters]));
    const evidenceText = evidencePlan.rows.map((r) => r['QUERY PLAN']).join('\n');
    // (waivers is empty here, so a scan of it is the right plan; bench/gating.ts checks it at size)
    assert.not.match(evidenceText, /Seq Scan on (results|result_data)\b/, evidenceText);
    const latest = await f.call('GET', '/api/v2.0/results/latest?item=pkg-7-1.fc40&type=koji_build&_distinct_on=scenario');
    assert.ok(latest.json.data.length >= 1 && latest.json.data.length <= 3 * 50);
  });

  it.run();
}
