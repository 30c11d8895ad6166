/**
 * Thousands of generated malformed requests against the results, waivers and decision routes,
 * over a database holding real results and waivers: never a 500, and every refusal has a message.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from './gating-fixture.ts';
import { seededRandom } from '../helpers/random.ts';


for (const backend of databaseBackends()) {
  const it = suite(`gating fuzz (${backend.name})`);
  let f: GatingFixture;
  it.before(async () => {
    f = await openGatingFixture(backend);
    for (const outcome of ['PASSED', 'FAILED', 'QUEUED', 'ERROR']) {
      await f.call('POST', '/api/v2.0/results', { token: f.tokens.ci, body: {
        testcase: 'fedora-ci.koji-build.tier0.functional', outcome, groups: ['g1'], data: { item: 'foo-1.0-1.fc40', type: 'koji_build', scenario: outcome } } });
    }
    await f.call('POST', '/api/v1.0/waivers/', { token: f.tokens.alice, body: {
      subject_type: 'koji_build', subject_identifier: 'foo-1.0-1.fc40', testcase: 'dist.rpmdeplint', product_version: 'fedora-40', waived: true, comment: 'x' } });
  });
  it.after(() => f.database.close());

  it('no generated request gets a 500', async () => {
    const next = seededRandom(backend.name === 'pglite' ? 11 : 12);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const weird = ['', ' ', '%', '%25', '%00', '*', '**', ':', 'a:b', 'a:like', '-1', '0', '1', '1e9', '99999999999999999999', 'x'.repeat(600), 'é', '..', "'; drop table results; --",
      '2024-01-01', '2024-01-01T00:00:00', '2024-13-01', 'yesterday', '2024-01-01,', ',', 'PASSED', 'passed', 'NOPE', 'true', 'maybe', 'asc:submit_time', 'scenario,arch', '[', '{}'];
    const queryNames = ['page', 'limit', 'outcome', 'testcases', 'testcases:like', 'groups', 'since', '_sort', '_distinct_on', 'item', 'item:like', 'type', 'a:b:c',
      'name', 'name:like', 'uuid', 'description', 'description:like', 'subject_type', 'subject_identifier', 'testcase', 'scenario', 'product_version', 'username',
      'proxied_by', 'include_obsolete', 'callback', '%', ''];
    const values = (): unknown => pick([null, true, false, 0, -1, 1.5, 1e308, 2 ** 63, '', 'x', 'x'.repeat(5000), [], [1], ['a', null], {}, { name: 1 }, { type: 'koji_build' },
      { type: 'koji_build', item: 'foo-1.0-1.fc40' }, { type: 'bodhi_update', item: 'x' }, { type: 'nope', item: 'x' }, '2024-01-01T00:00:00.000000', 'not a date',
      'PASSED', 'queued', 'bogus', { 'a:b': 1 }, { item: ['a', { deep: [1] }] }, [{ type: 'PassingTestCaseRule', test_case_name: 'x' }], [{ type: 'Nope' }], ['bodhi_update_push_stable'], 'fedora-40']);
    const keys = ['testcase', 'outcome', 'note', 'ref_url', 'groups', 'data', 'submit_time', 'subject_type', 'subject_identifier', 'subject', 'product_version',
      'decision_context', 'rules', 'verbose', 'when', 'ignore_result', 'ignore_waiver', 'waived', 'comment', 'scenario', 'username', 'filters', 'include_obsolete', 'uuid', 'name'];
    const valid = [
      { testcase: 'x.y', outcome: 'PASSED', data: { item: 'foo-1.0-1.fc40', type: 'koji_build' } },
      { subject_type: 'koji_build', subject_identifier: 'foo-1.0-1.fc40', testcase: 'x', product_version: 'fedora-40', waived: true, comment: 'c' },
      { product_version: 'fedora-40', decision_context: 'bodhi_update_push_stable', subject: [{ type: 'koji_build', item: 'foo-1.0-1.fc40' }], verbose: true },
      { filters: [{ subject_type: 'koji_build' }], include_obsolete: true },
    ];
    const bodies = (): string | undefined => pick([
      undefined, '', '{', 'null', '[]', '[{}]', '"text"', '42', '\u0000', '--- !Policy\nid: [', '--- !Policy\ndecision_context: x\nrules: []\n', 'x'.repeat(1000),
      JSON.stringify(Object.fromEntries(Array.from({ length: 1 + Math.floor(next() * 5) }, () => [pick(keys), values()]))),
      JSON.stringify({ ...pick(valid), [pick(keys)]: values() }),
      JSON.stringify([{ ...pick(valid), [pick(keys)]: values() }]),
    ]);
    const paths = f.app.routeDeclarations.filter((d) => /^\/api\/v(1|2)\.0\//.test(d.path)).map((d) => d.path);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const count = 3000;
    for (let i = 0; i < count; i++) {
      const path = pick(paths).replace(/:[a-z]+/g, () => encodeURIComponent(pick(['1', '2', 'g1', 'fedora-ci.koji-build.tier0.functional', ...weird])).replace(/%25/g, '%'));
      const query = Array.from({ length: Math.floor(next() * 5) }, () => `${encodeURIComponent(pick(queryNames))}=${encodeURIComponent(pick(weird))}`).join('&');
      const method = next() < 0.8 ? (paths.includes(path) ? pick(['GET', 'POST']) : 'GET') : pick(['PUT', 'DELETE', 'PATCH']);
      const token = pick([undefined, f.tokens.admin, f.tokens.alice, f.tokens.ci, 'rpl_bogus', 'garbage']);
      const url = query ? `${path}?${query}` : path;
      let response;
      try {
        response = await f.call(method, url, { token, rawBody: method === 'GET' ? undefined : bodies() });
      } catch (error) {
        failures.push(`${method} ${url}: threw ${(error as Error).message}`);
        continue;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) failures.push(`${method} ${url}: ${response.status} ${response.text.slice(0, 200)}`);
      else if (response.status >= 400 && typeof response.json?.message !== 'string') failures.push(`${method} ${url}: ${response.status} without a message`);
    }
    assert.equal(failures.slice(0, 10), [], `${failures.length} failures`);
    assert.ok((statuses.get(400) ?? 0) > count / 5, JSON.stringify([...statuses]));
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > count / 20, JSON.stringify([...statuses]));
  });

  it.run();
}
