/**
 * Greenwave-compatible decisions: the request Bodhi sends, every requirement type (with the
 * -waived variants and the "not finished yet" flag), time travel, ignore lists, on-demand rules,
 * errors, and the decision.update events written with results and waivers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withTransaction } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { makeDecision, parseDecisionRequest } from '../../src/gating/decision.ts';
import { loadPolicyDirectory } from '../../src/gating/policies.ts';
import { recordResult } from '../../src/results/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from './gating-fixture.ts';

const nvr = 'foo-1.0-1.fc40';
const update = 'FEDORA-2024-1a2b3c4d5e';
const tier0 = 'fedora-ci.koji-build.tier0.functional';
const openqa = 'update.install_default_update_netinst';
const openqaScenario = 'fedora.updates-everything-boot-iso.x86_64.64bit';
const bodhiRequest = {
  product_version: 'fedora-40',
  decision_context: ['bodhi_update_push_testing', 'bodhi_update_push_stable'],
  subject: [{ type: 'koji_build', item: nvr }, { type: 'bodhi_update', item: update }],
  verbose: true,
};

for (const backend of databaseBackends()) {
  const it = suite(`decisions (${backend.name})`);
  let f: GatingFixture;
  const decide = async (body: unknown, status = 200) => {
    const r = await f.call('POST', '/api/v1.0/decision', { body });
    assert.is(r.status, status, r.text);
    return r.json;
  };
  const post = async (body: unknown) => {
    const r = await f.call('POST', '/api/v2.0/results', { token: f.tokens.ci, body });
    assert.is(r.status, 201, r.text);
    return r.json;
  };
  it.before(async () => {
    f = await openGatingFixture(backend);
  });
  it.after(() => f.database.close());

  it("Bodhi's request with nothing recorded: every requirement missing", async () => {
    const d = await decide(bodhiRequest);
    const missing = (testcase: string, type: string, item: string, scenario: string | null = null) => ({
      type: 'test-result-missing', testcase, subject_type: type, subject_identifier: item, scenario, source: null, item: { type, item },
    });
    assert.equal(d, {
      policies_satisfied: false,
      summary: '3 of 3 required test results missing',
      satisfied_requirements: [],
      unsatisfied_requirements: [
        missing(tier0, 'koji_build', nvr),
        missing('dist.rpmdeplint', 'koji_build', nvr),
        missing(openqa, 'bodhi_update', update, openqaScenario),
      ],
      applicable_policies: ['fedora-builds-testing', 'fedora-builds-stable', 'openqa-update'],
      results: [],
      waivers: [],
    });
  });

  it('queued, errored, failed, passed and waived requirements', async () => {
    const queued = await post({ testcase: tier0, outcome: 'QUEUED', data: { item: nvr, type: 'koji_build', scenario: 'x86_64' } });
    const errored = await post({ testcase: 'dist.rpmdeplint', outcome: 'ERROR', note: 'mirror unreachable', data: { item: nvr, type: 'brew-build' } });
    const passed = await post({ testcase: openqa, outcome: 'PASSED', data: { item: update, type: 'bodhi_update', scenario: openqaScenario } });
    let d = await decide(bodhiRequest);
    assert.is(d.summary, '1 of 3 required tests failed, 1 result missing (1 error)');
    assert.equal(d.unsatisfied_requirements, [
      { type: 'test-result-missing', testcase: tier0, subject_type: 'koji_build', subject_identifier: nvr, source: null, result_id: queued.id,
        item: { type: 'koji_build', item: nvr }, scenario: 'x86_64', system_architecture: null, system_variant: null, incomplete: true, outcome: 'QUEUED' },
      { type: 'test-result-errored', testcase: 'dist.rpmdeplint', subject_type: 'koji_build', subject_identifier: nvr, source: null, result_id: errored.id,
        error_reason: 'mirror unreachable', item: { type: 'koji_build', item: nvr }, scenario: null, system_architecture: null, system_variant: null },
    ]);
    assert.equal(d.satisfied_requirements, [
      { type: 'test-result-passed', testcase: openqa, subject_type: 'bodhi_update', subject_identifier: update, source: null, result_id: passed.id,
        scenario: openqaScenario, system_architecture: null, system_variant: null },
    ]);
    // Per subject in request order, newest first within a subject.
    assert.equal(d.results.map((r: any) => r.id), [errored.id, queued.id, passed.id]);
    assert.is(d.results[2].href, `http://ripple.test/api/v2.0/results/${passed.id}`);

    // A scenario-less waiver covers every scenario; it must name the product version asked about.
    const waiver = await f.call('POST', '/api/v1.0/waivers/', { token: f.tokens.alice, body: {
      subject_type: 'koji_build', subject_identifier: nvr, testcase: 'dist.rpmdeplint', product_version: 'fedora-40', waived: true, comment: 'mirror outage' } });
    assert.is(waiver.status, 201, waiver.text);
    await f.call('POST', '/api/v1.0/waivers/', { token: f.tokens.alice, body: {
      subject_type: 'koji_build', subject_identifier: nvr, testcase: tier0, product_version: 'fedora-39', waived: true, comment: 'wrong release' } });
    const failedX86 = await post({ testcase: tier0, outcome: 'FAILED', data: { item: nvr, type: 'koji_build', scenario: 'x86_64' } });
    const passedArm = await post({ testcase: tier0, outcome: 'PASSED', data: { item: nvr, type: 'koji_build', scenario: 'aarch64' } });
    d = await decide(bodhiRequest);
    assert.is(d.policies_satisfied, false);
    assert.is(d.summary, '1 of 4 required tests failed');
    assert.equal(d.unsatisfied_requirements, [
      { type: 'test-result-failed', testcase: tier0, subject_type: 'koji_build', subject_identifier: nvr, source: null, result_id: failedX86.id,
        item: { type: 'koji_build', item: nvr }, scenario: 'x86_64', system_architecture: null, system_variant: null },
    ]);
    assert.equal(d.satisfied_requirements.map((a: any) => [a.type, a.testcase, a.result_id, a.waiver_id]), [
      ['test-result-passed', tier0, passedArm.id, undefined],
      ['test-result-errored-waived', 'dist.rpmdeplint', errored.id, waiver.json.id],
      ['test-result-passed', openqa, passed.id, undefined],
    ]);
    assert.not.ok('item' in d.satisfied_requirements[1]);
    assert.equal(d.waivers.map((w: any) => [w.id, w.covers_all_scenarios]), [[waiver.json.id, true]]);

    // Ignoring the waiver and the failure: time travel within one request.
    d = await decide({ ...bodhiRequest, verbose: false, ignore_waiver: [waiver.json.id], ignore_result: [failedX86.id] });
    assert.equal(d.unsatisfied_requirements.map((a: any) => [a.type, a.result_id]), [['test-result-missing', queued.id], ['test-result-errored', errored.id]]);
    assert.not.ok('results' in d);
    d = await decide({ ...bodhiRequest, when: '2000-01-01T00:00:00.000000' });
    assert.is(d.summary, '3 of 3 required test results missing');

    // Waiving the x86_64 scenario only.
    await f.call('POST', '/api/v1.0/waivers/', { token: f.tokens.bob, body: {
      subject_type: 'koji_build', subject_identifier: nvr, testcase: tier0, scenario: 'x86_64', product_version: 'fedora-40', waived: true, comment: 'flaky' } });
    d = await decide(bodhiRequest);
    assert.is(d.policies_satisfied, true);
    assert.is(d.summary, 'All required tests passed');
    assert.equal(d.satisfied_requirements.map((a: any) => a.type), ['test-result-passed', 'test-result-failed-waived', 'test-result-errored-waived', 'test-result-passed']);
  });

  it('single subject form, excluded packages, remote rules, on-demand rules', async () => {
    let d = await decide({ product_version: 'fedora-40', decision_context: 'bodhi_update_push_stable', subject_type: 'koji_build', subject_identifier: 'kernel-6.8.1-300.fc40' });
    assert.equal(d.satisfied_requirements, [{ type: 'excluded', subject_identifier: 'kernel-6.8.1-300.fc40', policy: 'fedora-builds-stable', source: null }]);
    assert.is(d.summary, 'All required tests passed');
    d = await decide({ product_version: 'fedora-41', decision_context: 'remote_context', subject_type: 'koji_build', subject_identifier: nvr });
    assert.equal(d.unsatisfied_requirements[0].type, 'missing-gating-yaml');
    assert.match(d.unsatisfied_requirements[0].details, /does not fetch remote gating.yaml/);
    d = await decide({ product_version: 'fedora-40', subject_type: 'koji_build', subject_identifier: nvr, rules: [{ type: 'PassingTestCaseRule', test_case_name: 'dist.rpmdeplint' }] });
    assert.equal(Object.keys(d), ['policies_satisfied', 'summary', 'satisfied_requirements', 'unsatisfied_requirements']);
    assert.is(d.satisfied_requirements[0].type, 'test-result-errored-waived');
    d = await decide({ product_version: 'fedora-40', decision_context: 'bodhi_update_push_testing', subject: [{ type: 'bodhi_update', item: update }] });
    assert.equal(d, { policies_satisfied: true, summary: 'no tests are required', satisfied_requirements: [], unsatisfied_requirements: [], applicable_policies: [] });
  });

  it('bad requests: 400 with a message; no applicable policy: 404', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ decision_context: 'x', subject_type: 'koji_build', subject_identifier: nvr }, 400, /Missing required product version/],
      [{ product_version: 'fedora-40', subject_type: 'koji_build', subject_identifier: nvr }, 400, /Either decision_context or rules is required/],
      [{ product_version: 'fedora-40', decision_context: 'x', rules: [{ type: 'PassingTestCaseRule', test_case_name: 'a' }], subject_type: 'koji_build', subject_identifier: nvr }, 400, /Cannot have both/],
      [{ product_version: 'fedora-40', decision_context: 'bodhi_update_push_testing', subject_type: 'container_image', subject_identifier: 'x' }, 400, /unknown subject type 'container_image'/],
      [{ product_version: 'fedora-40', decision_context: 'bodhi_update_push_testing', subject: [{ item: nvr }] }, 400, /Could not detect subject_identifier/],
      [{ product_version: 'fedora-40', decision_context: 'bodhi_update_push_testing', subject: 'foo' }, 400, /must be a list of dicts/],
      [{ product_version: 'fedora-40', decision_context: 'bodhi_update_push_testing', subject_type: 'koji_build' }, 400, /subject_identifier/],
      [{ ...bodhiRequest, verbose: 'yes' }, 400, /verbose must be true or false/],
      [{ ...bodhiRequest, when: 'tomorrow' }, 400, /when must be/],
      [{ ...bodhiRequest, ignore_result: ['x'] }, 400, /ignore_result\[0\]/],
      [{ product_version: 'rhel-9', decision_context: 'bodhi_update_push_testing', subject_type: 'koji_build', subject_identifier: nvr }, 404, /Cannot find any applicable policies for koji_build subjects at gating point bodhi_update_push_testing in rhel-9/],
    ];
    for (const [body, status, message] of cases) {
      const r = await f.call('POST', '/api/v1.0/decision', { body });
      assert.is(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.message, message);
    }
    const notJson = await f.call('POST', '/api/v1.0/decision', { rawBody: 'product_version=fedora-40' });
    assert.is(notJson.status, 400);
  });

  it('policies, subject types, validate-gating-yaml, about', async () => {
    const policies = await f.call('GET', '/api/v1.0/policies');
    assert.equal(policies.json.policies[1], {
      id: 'fedora-builds-stable', product_versions: ['fedora-*'], decision_context: 'bodhi_update_push_stable', decision_contexts: ['bodhi_update_push_stable'],
      subject_type: 'koji_build', rules: [
        { rule: 'PassingTestCaseRule', test_case_name: tier0, scenario: null },
        { rule: 'PassingTestCaseRule', test_case_name: 'dist.rpmdeplint', scenario: null },
      ], excluded_packages: ['kernel*'], packages: [], relevance_key: null, relevance_value: null,
    });
    const types = await f.call('GET', '/api/v1.0/subject_types');
    assert.equal(types.json.subject_types.map((t: any) => t.id), ['koji_build', 'bodhi_update', 'ripple_package']);
    const ok = await f.call('POST', '/api/v1.0/validate-gating-yaml', { rawBody: '--- !Policy\ndecision_context: x\nrules:\n  - !PassingTestCaseRule {test_case_name: a}\n' });
    assert.equal([ok.status, ok.json.message], [200, 'All OK']);
    for (const [yaml, message] of [
      ['--- !Policy\ndecision_context: x\nrules:\n  - !PassingTestCaseRule {test_case_nam: a}\n', /gating.yaml:4:\d+: .*unknown attribute/],
      ['--- !Policy\ndecision_context: x\nrules: [\n', /gating.yaml:\d+:\d+/],
      ['--- !Policy\nrules: []\n', /No decision contexts provided/],
      ['--- !Policy\ndecision_context: x\nrules:\n  - !RemoteRule {}\n', /RemoteRule is not allowed in remote policies/],
      ['--- !Policy\ndecision_context: x\nrules:\n  - !PackageSpecificBuild {}\n', /obsolete/],
      ['--- !Nope\nid: 1\n', /tagged !Policy|Unresolved tag/],
      ['', /No policies defined/],
    ] as const) {
      const r = await f.call('POST', '/api/v1.0/validate-gating-yaml', { rawBody: yaml });
      assert.is(r.status, 400, `${yaml}: ${r.text}`);
      assert.match(r.json.message, message);
    }
    assert.is((await f.call('GET', '/api/v1.0/about')).json.version, '0.1.0');
  });

  it('results and waivers append decision.update events in their transaction', async () => {
    const after = (await readEvents(f.database.db, { afterId: 0, limit: 10_000 })).at(-1)?.id ?? 0;
    const bar = 'bar-3.0-1.fc40';
    await post({ testcase: 'unrelated.test', outcome: 'FAILED', data: { item: bar, type: 'koji_build' } });
    const failed = await post({ testcase: tier0, outcome: 'FAILED', data: { item: bar, type: 'koji_build' } });
    // A newer failure changes the requirement's result_id, so it is an update too.
    await post({ testcase: tier0, outcome: 'FAILED', data: { item: bar, type: 'koji_build' } });
    let events = await readEvents(f.database.db, { afterId: after, limit: 100 });
    assert.equal(events.map((e) => e.type), ['result.new', 'result.new', 'decision.update', 'decision.update', 'result.new', 'decision.update', 'decision.update']);
    const update = events[2]!.payload as any;
    assert.equal([update.subject, update.product_version, update.decision_context], [{ type: 'koji_build', item: bar }, 'fedora-40', 'bodhi_update_push_stable']);
    assert.is(update.previous.unsatisfied_requirements[0].type, 'test-result-missing');
    assert.is(update.decision.unsatisfied_requirements[0].type, 'test-result-failed');
    assert.is(update.decision.unsatisfied_requirements[0].result_id, failed.id);
    assert.is(events[2]!.packageName, 'bar');
    const mark = events.at(-1)!.id;
    await f.call('POST', '/api/v1.0/waivers/', { token: f.tokens.alice, body: {
      subject_type: 'koji_build', subject_identifier: bar, testcase: tier0, product_version: 'fedora-40', waived: true, comment: 'known' } });
    events = await readEvents(f.database.db, { afterId: mark, limit: 100 });
    assert.equal(events.map((e) => e.type), ['waiver.new', 'decision.update', 'decision.update']);
    assert.is((events[2]!.payload as any).decision.satisfied_requirements[0].type, 'test-result-failed-waived');
  });

  it("Ripple's own results under the default policy", async () => {
    const policies = loadPolicyDirectory('policies');
    await withTransaction(f.database.db, (trx) => recordResult(trx, { testcase: 'ripple.buildability', outcome: 'FAILED', item: 'f40/bash', type: 'ripple_package', note: 'nothing provides libfoo' }, policies));
    const request = parseDecisionRequest({ product_version: 'f40', decision_context: 'ripple_builds', subject_type: 'ripple_package', subject_identifier: 'f40/bash' });
    let d = await makeDecision(f.database.db, policies, request);
    assert.equal([d.summary, d.applicable_policies], ['1 of 2 required tests failed, 1 result missing', ['ripple-builds']]);
    await withTransaction(f.database.db, async (trx) => {
      await recordResult(trx, { testcase: 'ripple.buildability', outcome: 'PASSED', item: 'f40/bash', type: 'ripple_package' }, policies);
      await recordResult(trx, { testcase: 'ripple.scratch-build', outcome: 'PASSED', item: 'f40/bash', type: 'ripple_package', data: { arch: 'x86_64' } }, policies);
    });
    d = await makeDecision(f.database.db, policies, request);
    assert.equal([d.policies_satisfied, d.summary], [true, 'All required tests passed']);
    const events = await readEvents(f.database.db, { afterId: 0, limit: 10_000, types: ['decision.update'] });
    // (other policies in policies/ may gate on the same testcases; these two are the ones asked about)
    const ours = events.filter((e) => (e.payload as any).subject.item === 'f40/bash' && ['ripple_buildable', 'ripple_builds'].includes((e.payload as any).decision_context)).map((e) => [(e.payload as any).decision_context, (e.payload as any).decision.policies_satisfied]);
    assert.equal(ours, [['ripple_buildable', false], ['ripple_builds', false], ['ripple_buildable', true], ['ripple_builds', false], ['ripple_builds', true]]);
  });

  it.run();
}
