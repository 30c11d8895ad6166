/**
 * Storing results: validation of ResultsDB v2.0 POST bodies, the insert itself, and the events
 * that go with it (`result.new`, and `decision.update` for decisions the result changed), all in
 * the caller's transaction, so a result and its notifications commit or vanish together.
 */
import { CompiledQuery, sql } from 'kysely';
import { preparedMarker, type Db, type Trx } from '../db/database.ts';
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
import { resultColumnsText, resultJson, type ResultRow } from './queries.ts';

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
    // A group object without uuid is a new group (ResultsDB generates one too).
    uuid: object.uuid == null ? crypto.randomUUID() : expectString(object.uuid, `${field}.uuid`, { min: 1, max: maxName }),
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

/**
 * Ids of testcases read from the committed table: testcases are never deleted, so a caller that
 * keeps one of these per database (the POST batcher) spares batches of known testcases a lookup.
 */
export type TestcaseIdCache = Map<string, number>;
const maxCachedTestcases = 10_000;

/** Testcase ids by name, creating missing testcases and applying given ref_urls. */
async function testcaseIds(trx: Trx, inputs: NewResult[], known: TestcaseIdCache = new Map()): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const wanted = new Map<string, NewResult['testcase']>();
  for (const input of inputs) {
    const name = input.testcase.name;
    const cached = input.testcase.refUrl === undefined ? known.get(name) : undefined;
    if (cached !== undefined) ids.set(name, cached);
    else if (!wanted.has(name) || input.testcase.refUrl !== undefined) wanted.set(name, input.testcase);
  }
  if (wanted.size === 0) return ids;
  // Read first: an upsert would lock the testcase row until commit and serialise every
  // concurrent result of that testcase behind it.
  const { rows } = await trx.executeQuery<{ id: number; name: string; ref_url: string | null }>(CompiledQuery.raw(
    `${preparedMarker} select id, name, ref_url from testcases where name = any ($1::text[])`, [[...wanted.keys()]]));
  const current = new Map(rows.map((r) => [r.name, r.ref_url]));
  for (const row of rows) {
    ids.set(row.name, row.id);
    if (known.size < maxCachedTestcases) known.set(row.name, row.id);
  }
  for (const testcase of wanted.values()) {
    if (current.has(testcase.name) && (testcase.refUrl === undefined || testcase.refUrl === current.get(testcase.name))) continue;
    ids.set(testcase.name, await upsertTestcase(trx, testcase));
  }
  return ids;
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

/** Results per statement: unnest() keeps the parameters at one array per column (far below PostgreSQL's 65,535), the chunk bounds each statement. */
const insertChunk = 5000;

/**
 * One statement per chunk: the results, then their data and group memberships, matched by
 * position ($6/$9: 1-based index of the result in the chunk). Identity values rise in insertion
 * order, which follows the chunk's order, so numbering the new ids recovers each row's position.
 */
const insertResultsText = `${preparedMarker}
  with inserted as (
    insert into results (testcase_id, outcome, note, ref_url, submit_time)
    select u.testcase_id, u.outcome, u.note, u.ref_url, coalesce(u.submit_time, now())
    from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) with ordinality as u (testcase_id, outcome, note, ref_url, submit_time, n)
    order by u.n
    returning id
  ), numbered as (
    select id, row_number() over (order by id) as n from inserted
  ), data as (
    insert into result_data (result_id, key, value)
    select numbered.id, x.key, x.value from unnest($6::int[], $7::text[], $8::text[]) as x (n, key, value) join numbered using (n)
  ), members as (
    insert into result_group_members (group_uuid, result_id)
    select x.uuid, numbered.id from unnest($9::int[], $10::text[]) as x (n, uuid) join numbered using (n)
    on conflict do nothing
  )
  select id from numbered order by n`;
const selectResultsText = `${preparedMarker}
  select ${resultColumnsText} from results r join testcases t on t.id = r.testcase_id where r.id = any ($1::bigint[])`;

/** Inserts results with their data and groups, one statement per chunk; ids in input order. No events. */
async function insertResults(trx: Trx, inputs: NewResult[], testcaseCache?: TestcaseIdCache): Promise<number[]> {
  const testcases = await testcaseIds(trx, inputs, testcaseCache);
  const groups = new Map<string, GroupInput>();
  for (const group of inputs.flatMap((i) => i.groups)) {
    const seen = groups.get(group.uuid);
    groups.set(group.uuid, { uuid: group.uuid, description: group.description ?? seen?.description, refUrl: group.refUrl ?? seen?.refUrl });
  }
  for (const group of groups.values()) await upsertGroup(trx, group);
  const ids: number[] = [];
  for (let at = 0; at < inputs.length; at += insertChunk) {
    const chunk = inputs.slice(at, at + insertChunk);
    const data = chunk.flatMap((input, i) => Object.entries(input.data).flatMap(([key, values]) => values.map((value) => [i + 1, key, value] as const)));
    const members = chunk.flatMap((input, i) => input.groups.map((g) => [i + 1, g.uuid] as const));
    const { rows } = await trx.executeQuery<{ id: number }>(CompiledQuery.raw(insertResultsText, [
      chunk.map((i) => testcases.get(i.testcase.name)!), chunk.map((i) => i.outcome), chunk.map((i) => i.note),
      chunk.map((i) => i.refUrl), chunk.map((i) => i.submitTime ?? null),
      data.map((d) => d[0]), data.map((d) => d[1]), data.map((d) => d[2]),
      members.map((m) => m[0]), members.map((m) => m[1]),
    ]));
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}

async function resultRows(trx: Trx, ids: number[]): Promise<ResultRow[]> {
  const byId = new Map<number, ResultRow>();
  for (let at = 0; at < ids.length; at += insertChunk) {
    const { rows } = await trx.executeQuery<ResultRow>(CompiledQuery.raw(selectResultsText, [ids.slice(at, at + insertChunk)]));
    for (const row of rows) byId.set(row.id, row);
  }
  return ids.map((id) => byId.get(id)!);
}

/**
 * Stores results inside `trx` in bulk and appends `result.new` (the result JSON, relative links)
 * for each, plus a `decision.update` for every decision of the results' subjects that they changed
 * (evaluated once before and once after the whole batch).
 */
export async function storeResults(trx: Trx, inputs: NewResult[], policies: PolicySet, testcaseCache?: TestcaseIdCache): Promise<ResultRow[]> {
  if (inputs.length === 0) return [];
  const subjects = inputs.map((input) => subjectsOfResultData(input.data));
  const affected = inputs.map((input, i) => ({ subjects: subjects[i]!, testcase: input.testcase.name, productVersions: input.data.product_version ?? [] }));
  const { value: ids, events: updates } = await trackDecisionChanges(trx, policies, affected, () => insertResults(trx, inputs, testcaseCache));
  const stored = await resultRows(trx, ids);
  const events: NewEvent[] = stored.map((row, i) => ({ type: 'result.new', packageName: subjects[i]![0]?.packageName ?? null, payload: resultJson(row, '/api/v2.0') }));
  await appendEvents(trx, [...events, ...updates]);
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
