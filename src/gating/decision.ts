/**
 * Greenwave-compatible decisions, computed from our own tables: one SQL statement fetches every
 * subject's latest results (distinct on testcase, scenario, system_architecture, system_variant)
 * and its current waivers; the policies are then applied in memory. No cache, so the next request
 * after a new result or waiver already sees it.
 */
import { CompiledQuery } from 'kysely';
import { preparedMarker, type Db } from '../db/database.ts';
import { ErrorCode, RippleError, invalidInput } from '../errors.ts';
import {
  expectArray, expectBoolean, expectInteger, expectObject, expectString, maxName, type JsonObject,
} from '../http/validation.ts';
import { expectTime } from '../results/expect-time.ts';
import { resultColumnsWith, resultDataByKey, resultJson, type ResultRow } from '../results/queries.ts';
import { waiverColumnsText, waiverJson, type WaiverRow } from '../waivers/queries.ts';
import { globMatches, ruleKey, type PassingTestCaseRule, type Policy, type PolicySet, type Rule } from './policies.ts';
import { makeSubject, subjectTypes, type Subject } from './subject-types.ts';

/** Data keys a required testcase's latest results are distinct on (Greenwave's DISTINCT_LATEST_RESULTS_ON). */
export const distinctKeys = ['scenario', 'system_architecture', 'system_variant'] as const;
const passedOutcomes = ['PASSED', 'INFO'];
const incompleteOutcomes = ['QUEUED', 'RUNNING'];
const errorOutcomes = ['ERROR'];

export interface DecisionRequest {
  productVersion: string;
  /** Null with on-demand `rules`. */
  decisionContexts: string[] | null;
  rules: Rule[] | null;
  subjects: Subject[];
  verbose: boolean;
  when: Date | null;
  ignoreResults: number[];
  ignoreWaivers: number[];
}

const text = (v: unknown, f: string) => expectString(v, f, { min: 1, max: maxName });

function parseOnDemandRule(value: unknown, field: string): Rule {
  const object = expectObject(value, field);
  const type = object.type ?? object.rule;
  if (type === 'RemoteRule') {
    return { rule: 'RemoteRule', required: object.required === undefined ? false : expectBoolean(object.required, `${field}.required`), sources: null };
  }
  if (type !== 'PassingTestCaseRule') throw invalidInput(`${field}.type`, `${field}.type must be PassingTestCaseRule or RemoteRule`);
  return {
    rule: 'PassingTestCaseRule',
    testCaseName: text(object.test_case_name, `${field}.test_case_name`),
    scenario: object.scenario == null ? null : text(object.scenario, `${field}.scenario`),
    validSince: object.valid_since == null ? null : expectTime(object.valid_since, `${field}.valid_since`),
    validUntil: object.valid_until == null ? null : expectTime(object.valid_until, `${field}.valid_until`),
  };
}

/** Validates a POST /decision body (Greenwave's request format, including the legacy `subject` list). */
export function parseDecisionRequest(body: JsonObject): DecisionRequest {
  if (!body.product_version) throw invalidInput('product_version', 'Missing required product version');
  const productVersion = text(body.product_version, 'product_version');
  const hasRules = body.rules !== undefined && !(Array.isArray(body.rules) && body.rules.length === 0);
  if (!body.decision_context && !hasRules) throw invalidInput('decision_context', 'Either decision_context or rules is required.');
  if (body.decision_context && hasRules) throw invalidInput('rules', 'Cannot have both decision_context and rules');
  const decisionContexts = body.decision_context
    ? (Array.isArray(body.decision_context) ? expectArray(body.decision_context, 'decision_context', text, { min: 1, max: 100 }) : [text(body.decision_context, 'decision_context')])
    : null;
  const rules = hasRules ? expectArray(body.rules, 'rules', parseOnDemandRule, { max: 1000 }) : null;
  let subjects: Subject[];
  if (body.subject !== undefined) {
    if (!Array.isArray(body.subject) || body.subject.length === 0) throw invalidInput('subject', 'Invalid subject, must be a list of dicts');
    subjects = expectArray(body.subject, 'subject', (v, f) => {
      const o = expectObject(v, f);
      if (o.type === undefined || o.item === undefined) throw invalidInput(f, `${f}: Could not detect subject_identifier (expected {"type": ..., "item": ...})`);
      return makeSubject(text(o.type, `${f}.type`), text(o.item, `${f}.item`), `${f}.type`);
    }, { max: 1000 });
  } else {
    if (body.subject_type === undefined) throw invalidInput('subject_type', 'Missing required "subject_type" parameter');
    if (body.subject_identifier === undefined) throw invalidInput('subject_identifier', 'Missing required "subject_identifier" parameter');
    subjects = [makeSubject(text(body.subject_type, 'subject_type'), text(body.subject_identifier, 'subject_identifier'), 'subject_type')];
  }
  const ids = (key: string) => (body[key] == null ? [] : expectArray(body[key], key, (v, f) => expectInteger(typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v, f, { min: 1, max: Number.MAX_SAFE_INTEGER }), { max: 10_000 }));
  return {
    productVersion,
    decisionContexts,
    rules,
    subjects,
    verbose: body.verbose === undefined ? false : expectBoolean(body.verbose, 'verbose'),
    when: body.when == null ? null : expectTime(body.when, 'when'),
    ignoreResults: ids('ignore_result'),
    ignoreWaivers: ids('ignore_waiver'),
  };
}

// Evidence ------------------------------------------------------------------------------------------

export interface SubjectEvidence {
  results: ResultRow[];
  /** Current, waived=true waivers of the subject in the product version. */
  waivers: WaiverRow[];
  /** Earliest result of the subject: its "creation time" for valid_since / valid_until. */
  firstSeen: Date | null;
}

type EvidenceRow = { results: (ResultRow & { subject: number })[]; waivers: (WaiverRow & { subject: number })[]; first_seen: Record<string, string> };

interface EvidenceOptions { when?: Date | null; ignoreResults?: number[]; ignoreWaivers?: number[] }

/** Every subject's latest results and current waivers in one round trip. */
export async function fetchEvidence(db: Db, subjects: Subject[], productVersion: string, options: EvidenceOptions = {}): Promise<SubjectEvidence[]> {
  if (subjects.length === 0) return [];
  const { rows } = await db.executeQuery<EvidenceRow>(evidenceQuery(subjects, productVersion, options));
  const row = rows[0]!;
  return subjects.map((_s, i) => ({
    results: row.results.filter((r) => r.subject === i).map(({ subject: _x, ...r }) => r),
    waivers: row.waivers.filter((w) => w.subject === i).map(({ subject: _x, ...w }) => w),
    firstSeen: row.first_seen[String(i)] ? new Date(row.first_seen[String(i)]!) : null,
  }));
}

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
const literalArray = (values: readonly string[]) => `array[${values.map(literal).join(', ')}]::text[]`;

/**
 * The statement behind `fetchEvidence`: its text depends only on the number of subjects (times,
 * ignored ids and the subjects themselves are parameters), so PostgreSQL prepares it once per
 * connection and, as the VALUES list tells the planner how many subjects there are, settles on a
 * generic plan instead of planning each request. $1 product version, $2 `when` (null: now),
 * $3/$4 ignored result/waiver ids, then identifier and subject type of each subject.
 */
const evidenceTexts = new Map<number, string>();
const evidenceText = (subjects: number) => `${preparedMarker}
    with st (id, types, keys, wtypes) as (
      values ${subjectTypes.map((t) => `(${literal(t.id)}, ${literalArray(t.resultTypes)}, ${literalArray(t.itemKeys)}, ${literalArray([t.id, ...t.aliases])})`).join(', ')}
    ), s as (
      select u.i, u.item, st.types, st.keys, st.wtypes
      from (values ${Array.from({ length: subjects }, (_s, i) => `(${i}, $${5 + 2 * i}::text, $${6 + 2 * i}::text)`).join(', ')}) as u (i, item, type)
      join st on st.id = u.type
    ), candidates as (
      select s.i, x.result_id from s cross join lateral (
        select d.result_id from result_data d
        where d.key = 'item' and d.value = s.item
          and exists (select 1 from result_data y where y.result_id = d.result_id and y.key = 'type' and y.value = any (s.types))
        union
        select d.result_id from result_data d where d.key = any (s.keys) and d.value = s.item
      ) x
    ), visible as (
      select c.i, r.id, r.testcase_id, r.submit_time from candidates c join results r on r.id = c.result_id
      where ($2::timestamptz is null or r.submit_time <= $2::timestamptz) and r.id <> all ($3::bigint[])
    ), keyed as (
      -- One pass over each result's data gives both the distinct keys and the data the answer shows.
      select v.i, v.id, v.testcase_id, v.submit_time, x.*
      from visible v cross join lateral (
        select coalesce(json_object_agg(k.key, k.vals), '{}'::json) as data,
          ${distinctKeys.map((key, i) => `min(k.first) filter (where k.key = ${literal(key)}) as k${i}`).join(', ')}
        from (${resultDataByKey('v.id')}) k
      ) x
    ), latest as (
      select distinct on (v.i, v.testcase_id, v.k0, v.k1, v.k2) v.i, v.id, v.data
      from keyed v
      order by v.i, v.testcase_id, v.k0, v.k1, v.k2, v.submit_time desc, v.id desc
    ), current_waivers as (
      select distinct on (s.i, w.testcase, w.scenario) s.i as subject, ${waiverColumnsText}
      from s join waivers w on w.subject_identifier = s.item and w.subject_type = any (s.wtypes)
      where w.product_version = $1::text
        and ($2::timestamptz is null or w.timestamp <= $2::timestamptz) and w.id <> all ($4::bigint[])
      order by s.i, w.testcase, w.scenario, w.id desc
    )
    select
      coalesce((select json_agg(x order by x.submit_time desc, x.id desc) from (
        select l.i as subject, ${resultColumnsWith('l.data')} from latest l join results r on r.id = l.id join testcases t on t.id = r.testcase_id
      ) x), '[]'::json) as results,
      coalesce((select json_agg(w order by w.id desc) from current_waivers w where w.waived), '[]'::json) as waivers,
      coalesce((select json_object_agg(f.i, f.first_seen) from (
        select v.i, min(v.submit_time) as first_seen from visible v group by v.i
      ) f), '{}'::json) as first_seen`;

/** The compiled statement behind `fetchEvidence` (exported so tests and benchmarks can EXPLAIN it). */
export function evidenceQuery(subjects: Subject[], productVersion: string, options: EvidenceOptions = {}): CompiledQuery<EvidenceRow> {
  let text = evidenceTexts.get(subjects.length);
  if (text === undefined) evidenceTexts.set(subjects.length, (text = evidenceText(subjects.length)));
  return CompiledQuery.raw(text, [
    productVersion, options.when ?? null, options.ignoreResults ?? [], options.ignoreWaivers ?? [],
    ...subjects.flatMap((s) => [s.identifier, s.subjectType.id]),
  ]) as CompiledQuery<EvidenceRow>;
}

// Evaluation ------------------------------------------------------------------------------------------

/** One requirement as Greenwave reports it (field order follows Greenwave's). */
export type Answer = Record<string, unknown> & { type: string };

interface Evaluated {
  answer: Answer;
  satisfied: boolean;
  /** Counts toward the summary's tests (everything but fetched-gating-yaml). */
  testResult: boolean;
  /** Set for unsatisfied answers a waiver can satisfy. */
  waivable?: { subject: Subject; testcase: string; scenario: string | null; removeWhenWaived: boolean };
}

const itemOf = (s: Subject) => ({ type: s.type, item: s.identifier });
const base = (type: string, testcase: string, s: Subject) => ({ type, testcase, subject_type: s.type, subject_identifier: s.identifier });

function distinctData(result: ResultRow): Record<string, string | null> {
  return Object.fromEntries(distinctKeys.map((k) => [k, result.data[k]?.[0] ?? null]));
}

function checkPassingRule(rule: PassingTestCaseRule, subject: Subject, evidence: SubjectEvidence, source: string | null): Evaluated[] {
  const created = evidence.firstSeen;
  if (created && rule.validSince && created < rule.validSince) return [];
  if (created && rule.validUntil && rule.validUntil <= created) return [];
  const matching = evidence.results.filter((r) => r.testcase_name === rule.testCaseName && (rule.scenario === null || (r.data.scenario ?? []).includes(rule.scenario)));
  const waivable = (scenario: string | null) => ({ subject, testcase: rule.testCaseName, scenario, removeWhenWaived: false });
  if (matching.length === 0) {
    const answer = { ...base('test-result-missing', rule.testCaseName, subject), scenario: rule.scenario, source, item: itemOf(subject) };
    return [{ answer, satisfied: false, testResult: true, waivable: waivable(rule.scenario) }];
  }
  return matching.map((result) => {
    const data = distinctData(result);
    const common = { source, result_id: result.id };
    if (passedOutcomes.includes(result.outcome)) {
      return { answer: { ...base('test-result-passed', rule.testCaseName, subject), ...common, ...data }, satisfied: true, testResult: true };
    }
    let answer: Answer;
    if (incompleteOutcomes.includes(result.outcome)) {
      // Greenwave's type for compatibility; `incomplete` tells "not finished yet" from "never ran".
      answer = { ...base('test-result-missing', rule.testCaseName, subject), ...common, item: itemOf(subject), ...data, incomplete: true, outcome: result.outcome };
    } else if (errorOutcomes.includes(result.outcome)) {
      answer = { ...base('test-result-errored', rule.testCaseName, subject), ...common, error_reason: result.note, item: itemOf(subject), ...data };
    } else {
      answer = { ...base('test-result-failed', rule.testCaseName, subject), ...common, item: itemOf(subject), ...data };
    }
    return { answer, satisfied: false, testResult: true, waivable: waivable(data.scenario ?? null) };
  });
}

function checkRemoteRule(rule: Rule & { rule: 'RemoteRule' }, subject: Subject): Evaluated[] {
  if (!rule.required) return [];
  // Ripple fetches no remote gating.yaml: a required one is reported missing, with the reason.
  const answer = {
    ...base('missing-gating-yaml', 'missing-gating-yaml', subject), scenario: null, sources: rule.sources ?? [],
    details: 'Ripple does not fetch remote gating.yaml files; put the rules into a policy file instead',
  };
  return [{ answer, satisfied: false, testResult: true, waivable: { subject, testcase: 'missing-gating-yaml', scenario: null, removeWhenWaived: true } }];
}

function checkPolicy(policy: Policy, subject: Subject, evidence: SubjectEvidence, verified: Set<string>): Evaluated[] {
  const name = subject.packageName;
  if (name) {
    if (policy.excludedPackages.some((glob) => globMatches(glob, name))) {
      return [{ answer: { type: 'excluded', subject_identifier: subject.identifier, policy: policy.id, source: null }, satisfied: true, testResult: true }];
    }
    if (policy.packages.length && !policy.packages.some((glob) => globMatches(glob, name))) return [];
  }
  return policy.rules.flatMap((rule) => {
    const key = ruleKey(rule);
    if (verified.has(key)) return [];
    verified.add(key);
    return rule.rule === 'RemoteRule' ? checkRemoteRule(rule, subject) : checkPassingRule(rule, subject, evidence, null);
  });
}

export function policyApplies(policy: Policy, request: { productVersion: string; decisionContexts: string[] | null }, subject: Subject): boolean {
  return (request.decisionContexts === null || request.decisionContexts.some((c) => policy.decisionContexts.includes(c)))
    && policy.productVersions.some((glob) => globMatches(glob, request.productVersion))
    && (policy.subjectType === subject.type || subject.subjectType.aliases.includes(policy.subjectType));
}

function summarize(evaluated: Evaluated[]): string {
  const tests = evaluated.filter((e) => e.testResult);
  if (tests.length === 0) return 'no tests are required';
  const missing = tests.filter((e) => !e.satisfied && e.answer.type === 'test-result-missing').length;
  const failed = tests.filter((e) => !e.satisfied).length - missing;
  const errored = tests.filter((e) => !e.satisfied && e.answer.type === 'test-result-errored').length;
  let summary: string;
  if (failed && missing) summary = `${failed} of ${tests.length} required tests failed, ${missing} result${missing > 1 ? 's' : ''} missing`;
  else if (failed) summary = `${failed} of ${tests.length} required tests failed`;
  else if (missing) summary = `${missing} of ${tests.length} required test results missing`;
  else summary = 'All required tests passed';
  return errored ? `${summary} (${errored} ${errored === 1 ? 'error' : 'errors'})` : summary;
}

export interface Decision {
  policies_satisfied: boolean;
  summary: string;
  satisfied_requirements: Answer[];
  unsatisfied_requirements: Answer[];
  applicable_policies?: string[];
  results?: unknown[];
  waivers?: unknown[];
}

/** Applies the policies to fetched evidence (pure: no I/O). `apiBase` roots verbose results' links. */
export function evaluateDecision(policySet: PolicySet, request: DecisionRequest, evidence: SubjectEvidence[], apiBase = ''): Decision {
  let evaluated: Evaluated[] = [];
  const applicable: string[] = [];
  for (const [index, subject] of request.subjects.entries()) {
    const policies: Policy[] = request.rules
      ? [{ id: 'on-demand-policy', productVersions: [request.productVersion], decisionContexts: ['on-demand-policy'], subjectType: subject.type, rules: request.rules, packages: [], excludedPackages: [], relevanceKey: null, relevanceValue: null, file: '' }]
      : policySet.policies.filter((p) => policyApplies(p, request, subject));
    if (policies.length === 0) {
      if (subject.subjectType.ignoreMissingPolicy) continue;
      throw new RippleError(ErrorCode.NotFound,
        `Cannot find any applicable policies for ${subject.type} subjects at gating point ${(request.decisionContexts ?? []).join(', ')} in ${request.productVersion}`,
        { field: 'decision_context', subject_type: subject.type });
    }
    const verified = new Set<string>();
    for (const policy of policies) evaluated.push(...checkPolicy(policy, subject, evidence[index]!, verified));
    applicable.push(...policies.map((p) => p.id));
  }
  const waivers = evidence.flatMap((e) => e.waivers);
  evaluated = evaluated.flatMap((e) => {
    if (e.satisfied || !e.waivable) return [e];
    const w = e.waivable;
    const waiver = waivers.find((x) => x.subject_identifier === w.subject.identifier
      && (x.subject_type === w.subject.type || w.subject.subjectType.aliases.includes(x.subject_type))
      && x.testcase === w.testcase && (x.scenario === null || x.scenario === w.scenario));
    if (!waiver) return [e];
    if (w.removeWhenWaived) return [];
    const { item: _item, ...rest } = e.answer;
    return [{ ...e, satisfied: true, answer: { ...rest, type: `${e.answer.type}-waived`, waiver_id: waiver.id } }];
  });
  const decision: Decision = {
    policies_satisfied: evaluated.every((e) => e.satisfied),
    summary: summarize(evaluated),
    satisfied_requirements: evaluated.filter((e) => e.satisfied).map((e) => e.answer),
    unsatisfied_requirements: evaluated.filter((e) => !e.satisfied).map((e) => e.answer),
  };
  if (!request.rules) decision.applicable_policies = applicable;
  if (request.verbose) {
    const results = new Map(evidence.flatMap((e) => e.results).map((r) => [r.id, resultJson(r, apiBase)]));
    decision.results = [...results.values()];
    decision.waivers = [...new Map(waivers.map((w) => [w.id, waiverJson(w)])).values()];
  }
  return decision;
}

/** POST /decision: fetch (one round trip) and evaluate. */
export async function makeDecision(db: Db, policies: PolicySet, request: DecisionRequest, apiBase = ''): Promise<Decision> {
  const evidence = await fetchEvidence(db, request.subjects, request.productVersion, request);
  return evaluateDecision(policies, request, evidence, apiBase);
}
