/**
 * Reading results (ResultsDB model). Every list is built from the same filter set and the same
 * row shape (`resultColumns`), so /results, /results/latest and decisions agree on what a result
 * is. Filters on data go through the (key, value, result_id) index as semi-joins.
 */
import { sql, type RawBuilder } from 'kysely';
import { preparedMarker, type Db } from '../db/database.ts';
import type { ResultOutcome } from '../db/schema.ts';
import { globToLike } from '../http/validation.ts';

/** One result as every reader sees it; submit_time is ResultsDB's naive-UTC ISO text. */
export interface ResultRow {
  id: number;
  testcase_name: string;
  testcase_ref_url: string | null;
  outcome: ResultOutcome;
  note: string | null;
  ref_url: string | null;
  submit_time: string;
  data: Record<string, string[]>;
  groups: string[];
}

export interface DataFilter {
  key: string;
  /** Exact values (OR) or, with `like`, globs with `*` (OR). */
  values: string[];
  like: boolean;
}

export interface ResultFilters {
  outcomes?: ResultOutcome[];
  testcases?: string[];
  testcaseGlobs?: string[];
  groups?: string[];
  since?: { start: Date; end?: Date };
  /** AND across entries. */
  data?: DataFilter[];
}

export type ResultSort = 'desc:submit_time' | 'asc:submit_time' | 'disable_sorting';

/**
 * A result's data grouped by key (values sorted), for result `id`: `data` is the JSON object the
 * API shows, `first` each key's smallest value (what DISTINCT ON keys compare).
 */
export const resultDataByKey = (id: string) =>
  `select d.key, json_agg(d.value order by d.value) as vals, min(d.value) as first from result_data d where d.result_id = ${id} group by d.key`;

/** The columns of a ResultRow over `r` (results) and `t` (testcases), with the data JSON from `data`. */
export const resultColumnsWith = (data: string) => `
  r.id, t.name as testcase_name, t.ref_url as testcase_ref_url, r.outcome, r.note, r.ref_url,
  to_char(r.submit_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as submit_time,
  ${data} as data,
  coalesce((select json_agg(g.group_uuid order by g.group_uuid) from result_group_members g where g.result_id = r.id), '[]'::json) as groups`;

/** `r` is results, `t` is testcases (text, for statements built without kysely too). */
export const resultColumnsText = resultColumnsWith(`coalesce((select json_object_agg(k.key, k.vals) from (${resultDataByKey('r.id')}) k), '{}'::json)`);
export const resultColumns = sql.raw(resultColumnsText);

const likeAny = (column: RawBuilder<unknown>, globs: string[]) =>
  sql`(${sql.join(globs.map((g) => sql`${column} like ${globToLike(g)}`), sql` or `)})`;

/**
 * Conditions over `r`/`t`, joined by AND; always at least `true`. With `perRow`, data and group
 * filters are checks run for each candidate row (OFFSET 0 keeps PostgreSQL from turning them into
 * joins it could start from), for statements that already choose the rows to start from.
 */
export function resultConditions(filters: ResultFilters, options: { perRow?: boolean } = {}): RawBuilder<unknown> {
  const among = (select: RawBuilder<unknown>, column: string, where: RawBuilder<unknown>) => (options.perRow
    ? sql`exists (${select} where ${sql.ref(column)} = r.id and ${where} offset 0)`
    : sql`r.id in (${select} where ${where})`);
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  if (filters.outcomes?.length) conditions.push(sql`r.outcome in (${sql.join(filters.outcomes)})`);
  if (filters.testcases?.length) conditions.push(sql`t.name in (${sql.join(filters.testcases)})`);
  if (filters.testcaseGlobs?.length) conditions.push(likeAny(sql.ref('t.name'), filters.testcaseGlobs));
  if (filters.groups?.length) {
    conditions.push(among(sql`select m.result_id from result_group_members m`, 'm.result_id', sql`m.group_uuid in (${sql.join(filters.groups)})`));
  }
  if (filters.since) {
    conditions.push(sql`r.submit_time >= ${filters.since.start}`);
    if (filters.since.end) conditions.push(sql`r.submit_time <= ${filters.since.end}`);
  }
  for (const filter of filters.data ?? []) {
    const match = filter.like ? likeAny(sql.ref('d.value'), filter.values) : sql`d.value in (${sql.join(filter.values)})`;
    conditions.push(among(sql`select d.result_id from result_data d`, 'd.result_id', sql`d.key = ${filter.key} and ${match}`));
  }
  return sql.join(conditions, sql` and `);
}

export async function listResults(db: Db, filters: ResultFilters, page: { offset: number; limit: number; sort: ResultSort }): Promise<ResultRow[]> {
  const order = page.sort === 'disable_sorting' ? sql``
    : page.sort === 'asc:submit_time' ? sql`order by r.submit_time asc, r.id asc` : sql`order by r.submit_time desc, r.id desc`;
  const { rows } = await sql<ResultRow>`
    select ${resultColumns} from results r join testcases t on t.id = r.testcase_id
    where ${resultConditions(filters)} ${order} limit ${page.limit} offset ${page.offset}`.execute(db);
  return rows;
}

export async function getResult(db: Db, id: number): Promise<ResultRow | undefined> {
  const { rows } = await sql<ResultRow>`
    select ${resultColumns} from results r join testcases t on t.id = r.testcase_id where r.id = ${id}`.execute(db);
  return rows[0];
}

/**
 * The newest result per testcase (and per value of each `distinctOn` data key), newest first.
 * Without data, group or time filters it probes the (testcase_id, submit_time) index once per
 * testcase; otherwise the filters narrow the candidates through the data index and DISTINCT ON
 * picks the newest of them. A query naming the subject (data `item`, as Greenwave and Bodhi
 * send) starts from that subject's results and checks the rest per result.
 */
export async function latestResults(db: Db, filters: ResultFilters, distinctOn: string[] = []): Promise<ResultRow[]> {
  const { rows } = await latestResultsQuery(filters, distinctOn).execute(db);
  return rows;
}

const prepared = sql.raw(preparedMarker);

/**
 * The statement behind `latestResults` (exported so tests can EXPLAIN it). The plans that are
 * right whatever the values (per testcase; from the subject's results) are prepared, so clients
 * repeating a query shape skip planning; with other data filters only the values tell which
 * filter is selective, so those are planned each time.
 */
export function latestResultsQuery(filters: ResultFilters, distinctOn: string[] = []): RawBuilder<ResultRow> {
  const narrow = Boolean(filters.data?.length || filters.groups?.length || filters.since || distinctOn.length);
  const item = filters.data?.find((f) => f.key === 'item' && !f.like);
  if (!narrow) {
    return sql<ResultRow>`${prepared}
      select ${resultColumns} from testcases t
      cross join lateral (
        select * from results r where r.testcase_id = t.id order by r.submit_time desc, r.id desc limit 1
      ) r
      where ${resultConditions({ ...filters, outcomes: undefined })} order by r.submit_time desc, r.id desc`;
  }
  // The subject's identifiers come in as a materialized CTE, so the planner estimates the same
  // with and without their values: PostgreSQL then keeps the prepared statement's generic plan.
  const candidates = item
    ? sql`(select d.result_id from items join result_data d on d.key = 'item' and d.value = items.v offset 0) s (id)
        join results r on r.id = s.id join testcases t on t.id = r.testcase_id
        where ${resultConditions({ ...filters, outcomes: undefined, data: filters.data!.filter((f) => f !== item) }, { perRow: true })}`
    : sql`results r join testcases t on t.id = r.testcase_id where ${resultConditions({ ...filters, outcomes: undefined })}`;
  const keyColumns = distinctOn.map((key, i) => sql`(select min(d.value) from result_data d where d.result_id = r.id and d.key = ${key}) as ${sql.ref(`k${i}`)}`);
  const keyRefs = sql.join(distinctOn.map((_k, i) => sql`, ${sql.ref(`c.k${i}`)}`), sql``);
  const items = item ? sql`with items (v) as materialized (values ${sql.join(item.values.map((v) => sql`(${v}::text)`))})` : sql``;
  return sql<ResultRow>`${item ? prepared : sql``} ${items}
    select ${resultColumns} from (
      select distinct on (c.testcase_id${keyRefs}) c.id
      from (
        select r.id, r.testcase_id, r.submit_time${sql.join(keyColumns.map((k) => sql`, ${k}`), sql``)}
        from ${candidates}
      ) c
      order by c.testcase_id${keyRefs}, c.submit_time desc, c.id desc
    ) latest
    join results r on r.id = latest.id join testcases t on t.id = r.testcase_id
    order by r.submit_time desc, r.id desc`;
}

export interface TestcaseRow {
  name: string;
  ref_url: string | null;
}

export async function listTestcases(db: Db, filter: { names?: string[]; globs?: string[] }, page: { offset: number; limit: number }): Promise<TestcaseRow[]> {
  let query = db.selectFrom('testcases').select(['name', 'ref_url']);
  if (filter.names?.length) query = query.where('name', 'in', filter.names);
  if (filter.globs?.length) query = query.where((eb) => eb.or(filter.globs!.map((g) => eb('name', 'like', globToLike(g)))));
  return query.orderBy('name').limit(page.limit).offset(page.offset).execute();
}

export interface GroupRow {
  uuid: string;
  description: string | null;
  ref_url: string | null;
  results_count: number;
}

export async function listGroups(db: Db, filter: { uuids?: string[]; descriptions?: string[]; descriptionGlobs?: string[] }, page: { offset: number; limit: number }): Promise<GroupRow[]> {
  let query = db.selectFrom('result_groups as g')
    .select(['g.uuid', 'g.description', 'g.ref_url'])
    .select(sql<number>`(select count(*) from result_group_members m where m.group_uuid = g.uuid)::int`.as('results_count'));
  if (filter.uuids?.length) query = query.where('g.uuid', 'in', filter.uuids);
  if (filter.descriptions?.length) query = query.where('g.description', 'in', filter.descriptions);
  if (filter.descriptionGlobs?.length) query = query.where((eb) => eb.or(filter.descriptionGlobs!.map((g) => eb('g.description', 'like', globToLike(g)))));
  return query.orderBy('g.created_at', 'desc').orderBy('g.uuid').limit(page.limit).offset(page.offset).execute();
}

/** ResultsDB's result representation; `base` is the API root (`https://host/api/v2.0`, or '' for relative links). */
export function resultJson(row: ResultRow, base: string) {
  return {
    id: row.id,
    groups: row.groups,
    testcase: { name: row.testcase_name, ref_url: row.testcase_ref_url, href: `${base}/testcases/${encodeURIComponent(row.testcase_name)}` },
    submit_time: row.submit_time,
    outcome: row.outcome,
    note: row.note,
    ref_url: row.ref_url,
    data: row.data,
    href: `${base}/results/${row.id}`,
  };
}
