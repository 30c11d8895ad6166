/**
 * Policy files: the repository's default policy, Greenwave's YAML forms, errors naming file, line
 * and field, globs, and reloading an edited directory (a broken edit keeps the last good set).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { globMatches, loadPolicyDirectory, parsePolicies } from '../../src/gating/policies.ts';

test('the default policies directory holds the ripple policies', () => {
  const set = loadPolicyDirectory(loadConfig({}).policiesDir);
  assert.equal(set.policies.map((p) => [p.id, p.subjectType, p.decisionContexts, p.rules.map((r) => r.rule === 'PassingTestCaseRule' && r.testCaseName)]), [
    ['ripple-buildable', 'ripple_package', ['ripple_buildable'], ['ripple.buildability']],
    ['ripple-builds', 'ripple_package', ['ripple_builds'], ['ripple.buildability', 'ripple.scratch-build']],
    ['ripple-rebuild-dependents', 'ripple_package', ['ripple_rebuild_dependents'], ['ripple.buildability']],
  ]);
});

test('Greenwave policy forms parse', () => {
  const [policy] = parsePolicies(`--- !Policy
id: "taskotron_release_critical_tasks"
product_versions:
  - fedora-26
decision_context: bodhi_update_push_stable
subject_type: koji_build
excluded_packages: [python-*]
rules:
  - !PassingTestCaseRule {test_case_name: dist.abicheck, scenario: null}
  - !PassingTestCaseRule
    test_case_name: dist.rpmdeplint
    valid_since: 2024-01-01
    valid_until: 2024-06-01T00:00:00
  - !RemoteRule {required: true}
`, 'p.yaml');
  assert.equal(policy!.decisionContexts, ['bodhi_update_push_stable']);
  assert.equal(policy!.rules[1], { rule: 'PassingTestCaseRule', testCaseName: 'dist.rpmdeplint', scenario: null, validSince: new Date('2024-01-01T00:00:00Z'), validUntil: new Date('2024-06-01T00:00:00Z') });
  assert.equal(policy!.rules[2], { rule: 'RemoteRule', required: true, sources: null });
});

test('errors name the file, line and field', () => {
  const cases: [string, RegExp][] = [
    ['--- !Policy\nid: a\nproduct_versions: [x]\ndecision_context: c\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {}\n', /^p\.yaml:7:\d+: policy 'a'\.rules\[0\]\.test_case_name: is required/],
    ['--- !Policy\nid: a\nproduct_versions: x\ndecision_context: c\nsubject_type: koji_build\nrules: []\n', /^p\.yaml:3:\d+: policy 'a'\.product_versions: must be a list of strings/],
    ['--- !Policy\nid: a\nproduct_versions: [x]\ndecision_context: c\nsubject_type: koji_build\nrules:\n  - test_case_name: x\n', /^p\.yaml:7:\d+: .*must be a rule tagged/],
    ['--- !Policy\nid: a\nid: b\n', /^p\.yaml:3:\d+: Map keys must be unique/],
    ['--- !Policy\nid: a\nproduct_versions: [x]\ndecision_context: c\nsubject_type: koji_build\nrules:\n  - !PassingTestCaseRule {test_case_name: a, valid_since: soon}\n', /valid_since: must be an ISO 8601 date/],
    ['--- !Policy\nid: a\nproduct_versions: [x]\ndecision_context: c\ndecision_contexts: [d]\nsubject_type: koji_build\nrules: []\n', /Both properties/],
    ['--- !Policy\nid: a\ncolour: red\n', /^p\.yaml:3:\d+: document 1\.colour: unknown attribute/],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(() => parsePolicies(yaml, 'p.yaml'), (e: Error) => message.test(e.message), yaml);
  }
});

test('fnmatch globs', () => {
  assert.ok(globMatches('fedora-*', 'fedora-40'));
  assert.ok(globMatches('fedora-4?', 'fedora-40'));
  assert.ok(globMatches('fedora-[34]0', 'fedora-40'));
  assert.not.ok(globMatches('fedora-[!4]0', 'fedora-40'));
  assert.not.ok(globMatches('fedora-*', 'epel-9'));
  assert.ok(globMatches('a.b', 'a.b'));
  assert.not.ok(globMatches('a.b', 'axb'));
});

test('an edited directory reloads; a broken edit keeps the last good policies', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-policies-'));
  const policy = (id: string) => `--- !Policy\nid: ${id}\nproduct_versions: ['*']\ndecision_context: c\nsubject_type: koji_build\nrules: []\n`;
  writeFileSync(join(dir, 'a.yaml'), policy('first'));
  assert.equal(loadPolicyDirectory(dir).policies.map((p) => p.id), ['first']);
  writeFileSync(join(dir, 'a.yaml'), policy('second-version'));
  assert.equal(loadPolicyDirectory(dir).policies.map((p) => p.id), ['second-version']);
  writeFileSync(join(dir, 'a.yaml'), '--- !Policy\nid: [broken\n');
  assert.equal(loadPolicyDirectory(dir).policies.map((p) => p.id), ['second-version']);
  const fresh = mkdtempSync(join(tmpdir(), 'ripple-policies-'));
  writeFileSync(join(fresh, 'a.yaml'), '--- !Policy\nid: [broken\n');
  assert.throws(() => loadPolicyDirectory(fresh), /a\.yaml:\d+:\d+: Flow sequence/);
});

test.run();
