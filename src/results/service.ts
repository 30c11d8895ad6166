/**
 * Storing results: validation of ResultsDB v2.0 POST bodies, the insert itself, and the events
 * that go with it (`result.new`, and `decision.update` for decisions the result changed), all in
 * the caller's transaction, so a result and its notifications commit or vanish together.
 */
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { withTransaction } from '../db/database.ts';
import type { ResultOutcome } from '../db/schema.ts';
import { invalidInput } from '../errors.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import { trackDecisionChanges } from '../gating/decision-updates.ts';
import { defaultPolicies, type PolicySet } from '../gating/policies.ts';
import { subjectsOfResultData } from '../gating/subject-types.ts';
import {
  expectArray, expectObject, expectString, maxName, maxText, optional, type JsonObject,
} from '../http/validation.ts';
import { expectTime } from './expect-time.ts';
import { getResult, resultJson, type ResultRow } from './queries.ts';

export const resultOutcomes: readonly ResultOutcome[] = ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION', 'QUEUED', 'RUNNING', 'ERROR'];

/** Bounds that keep (key, value, result_id) within one btree index entry (2704 bytes). */
export const maxDataKey = 100;
export const maxDataValue = 450;

export interface GroupInput {
  uuid: string;
  description?: string | null;
  refUrl?: string | null;
}

export interface NewResult {
  testcase: { name: string; refUrl?: string | null };
  outcome: ResultOutcome;
  note: string | null;
  refUrl: string | null;
  groups: GroupInput[];
  data: Record<string, string[]>;
  submitTime?: Date;
}

export const testcaseNamePattern = /^\S+$/;
export const expectTestcaseName = (value: unknown, field: string) =>
  expectString(value, field, { min: 1, max: maxName, pattern: testcaseNamePattern, patternText: 'a non-empty name without spaces' });

export function expectOutcome(value: unknown, field: string): ResultOutcome {
  const outcome = expectString(value, field, { max: 40 }).toUpperCase() as ResultOutcome;
  if (!resultOutcomes.includes(outcome)) {
    throw invalidInput(field, `${field} must be one of ${resultOutcomes.join(', ')}, got '${String(value).slice(0, 40)}'`);
  }
  return outcome;
}

export function expectDataKey(key: string, field: string): string {
  expectString(key, field, { min: 1, max: maxDataKey });
  if (key.includes(':')) throw invalidInput(field, `data key '${key.slice(0, 60)}' must not contain ':' (it is reserved for queries like key:like)`);
  return key;
}

function dataValue(value: unknown, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return expectString(text, field, { max: maxDataValue });
}

function parseData(value: unknown, field: string): Record<string, string[]> {
  const object = expectObject(value, field);
  const data: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(object)) {
    expectDataKey(key, `${field}.${key}`);
    const values = (Array.isArray(raw) ? raw : [raw]).map((v, i) => dataValue(v, Array.isArray(raw) ? `${field}.${key}[${i}]` : `${field}.${key}`));
    const kept = [...new Set(values.filter((v): v is string => v !== undefined))];
    if (kept.length) data[key] = kept;
  }
  return data;
}

const optionalText = (object: JsonObject, key: string, prefix: string) =>
  optional(object, key, (v, f) => (v === null ? null : expectString(v, f, { max: maxText })), prefix) ?? null;

export function parseGroup(value: unknown, field: string): GroupInput {
  if (typeof value === 'string') return { uuid: expectString(value, field, { min: 1, max: maxName }) };
  const object = expectObject(value, field);
  return {
    uuid: expectString(object.uuid, `${field}.uuid`, { min: 1, max: maxName }),
    description: optionalText(object, 'description', field),
    refUrl: optionalText(object, 'ref_url', field),
  };
}

/** Validates one ResultsDB POST /results body (unknown fields are ignored, as ResultsDB does). */
export function parseResultBody(value: unknown, field = 'body'): NewResult {
  const body = expectObject(value, field);
  const at = (key: string) => (field === 'body' ? key : `${field}.${key}`);
  if (body.testcase === undefined) throw invalidInput(at('testcase'), `${at('testcase')} is required`);
  if (body.outcome === undefined) throw invalidInput(at('outcome'), `${at('outcome')} is required`);
  let testcase: NewResult['testcase'];
  if (typeof body.testcase === 'string') {
    testcase = { name: expectTestcaseName(body.testcase, at('testcase')) };
  } else {
    const object = expectObject(body.testcase, at('testcase'));
    testcase = { name: expectTestcaseName(object.name, at('testcase.name')) };
    if (object.ref_url !== undefined) testcase.refUrl = optionalText(object, 'ref_url', at('testcase'));
  }
  return {
    testcase,
    outcome: expectOutcome(body.outcome, at('outcome')),
    note: optionalText(body, 'note', field === 'body' ? '' : field),
    refUrl: optionalText(body, 'ref_url', field === 'body' ? '' : field),
    groups: body.groups == null ? [] : expectArray(body.groups, at('groups'), parseGroup, { max: 100 }),
    data: body.data == null ? {} : parseData(body.data, at('data')),
    submitTime: body.submit_time == null ? undefined : expectTime(body.submit_time, at('submit_time')),
  };
}

async function upsertTestcase(trx: Trx, testcase: NewResult['testcase']): Promise<number> {
  // Read first: an upsert would lock the testcase row until commit and serialise every
  // concurrent result of that testcase behind it.
  const existing = await trx.selectFrom('testcases').select(['id', 'ref_url']).where('name', '=', testcase.name).executeTakeFirst();
  if (existing && (testcase.refUrl === undefined || testcase.refUrl === existing.ref_url)) return existing.id;
  // ON CONFLICT ... DO UPDATE returns the row in both cases; ref_url changes only when given.
  const row = await trx.insertInto('testcases')
    .values({ name: testcase.name, ref_url: testcase.refUrl ?? null })
    .onConflict((oc) => oc.column('name').doUpdateSet(
      testcase.refUrl === undefined ? { name: sql`excluded.name` } : { ref_url: sql`excluded.ref_url` },
    ))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function upsertGroup(trx: Trx, group: GroupInput): Promise<void> {
  const values = { uuid: group.uuid, description: group.description ?? null, ref_url: group.refUrl ?? null };
  const update: Record<string, unknown> = {};
  if (group.description !== undefined) update.description = values.description;
  if (group.refUrl !== undefined) update.ref_url = values.ref_url;
  await trx.insertInto('result_groups').values(values)
    .onConflict((oc) => (Object.keys(update).length ? oc.column('uuid').doUpdateSet(update) : oc.column('uuid').doNothing()))
    .execute();
}

/** Inserts one result with its data and groups; no events. */
async function insertResult(trx: Trx, input: NewResult): Promise<number> {
  const testcaseId = await upsertTestcase(trx, input.testcase);
  const { id } = await trx.insertInto('results')
    .values({ testcase_id: testcaseId, outcome: input.outcome, note: input.note, ref_url: input.refUrl, ...(input.submitTime ? { submit_time: input.submitTime } : {}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  const data = Object.entries(input.data).flatMap(([key, values]) => values.map((value) => ({ result_id: id, key, value })));
  if (data.length) await trx.insertInto('result_data').values(data).execute();
  for (const group of input.groups) await upsertGroup(trx, group);
  if (input.groups.length) {
    await trx.insertInto('result_group_members').values(input.groups.map((g) => ({ group_uuid: g.uuid, result_id: id })))
      .onConflict((oc) => oc.doNothing()).execute();
  }
  return id;
}

/**
 * Stores results inside `trx` and appends `result.new` (the result JSON, relative links) plus a
 * `decision.update` for every decision of the results' subjects that they changed.
 */
export async function storeResults(trx: Trx, inputs: NewResult[], policies: PolicySet): Promise<ResultRow[]> {
  const stored: ResultRow[] = [];
  const events: NewEvent[] = [];
  for (const input of inputs) {
    const affected = { subjects: subjectsOfResultData(input.data), testcase: input.testcase.name, productVersions: input.data.product_version ?? [] };
    const { value: id, events: updates } = await trackDecisionChanges(trx, policies, affected, () => insertResult(trx, input));
    const row = (await getResult(trx, id))!;
    stored.push(row);
    const subject = affected.subjects[0];
    events.push({ type: 'result.new', packageName: subject?.packageName ?? null, payload: resultJson(row, '/api/v2.0') }, ...updates);
  }
  await appendEvents(trx, events);
  return stored;
}

export async function createResults(db: Db, inputs: NewResult[], policies: PolicySet): Promise<ResultRow[]> {
  return withTransaction(db, (trx) => storeResults(trx, inputs, policies));
}

export interface RecordResultInput {
  testcase: string;
  outcome: ResultOutcome;
  /** The subject: `<collection>/<package>` for ripple_package, an NVR for koji_build. */
  item: string;
  type: string;
  data?: Record<string, unknown>;
  note?: string | null;
  refUrl?: string | null;
}

/**
 * For other domains: records one of Ripple's own results (e.g. `ripple.buildability` for
 * `<collection>/<package>` of type `ripple_package`) in their transaction, with its events.
 * Appends events, so call it late in the transaction. Policies default to the configured directory.
 */
export async function recordResult(trx: Trx, input: RecordResultInput, policies: PolicySet = defaultPolicies()): Promise<ResultRow> {
  const parsed = parseResultBody({
    testcase: input.testcase,
    outcome: input.outcome,
    note: input.note ?? null,
    ref_url: input.refUrl ?? null,
    data: { ...input.data, item: input.item, type: input.type },
  });
  const [row] = await storeResults(trx, [parsed], policies);
  return row!;
}
