/** ResultsDB API v2.0 routes under /api/v2.0 (declared once, see http/api-routes.ts). */
import type { Context } from 'hono';
import type { Db } from '../db/database.ts';
import type { ResultOutcome } from '../db/schema.ts';
import { invalidInput, notFound } from '../errors.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes, type AppEnv, type JsonSchema } from '../http/api-routes.ts';
import { expectString, pathParam, queryInteger, readJsonBody } from '../http/validation.ts';
import { withTransaction } from '../db/database.ts';
import { assertMay } from '../gating/permissions.ts';
import { expectTime } from './expect-time.ts';
import { resultBatcher } from './result-batcher.ts';
import {
  getResult, latestResults, listGroups, listResults, listTestcases, resultJson, type DataFilter, type ResultFilters, type ResultSort,
} from './queries.ts';
import {
  expectDataKey, expectOutcome, expectTestcaseName, parseGroup, parseResultBody, resultOutcomes, upsertGroup,
} from './service.ts';

const prefix = '/api/v2.0';
const reserved = ['page', 'limit', 'outcome', 'testcases', 'testcases:like', 'groups', 'since', '_sort', '_distinct_on', 'callback'];
const maxLimit = 1000;

/** The API root for links: the configured public URL, else the request's own origin. */
export function apiBase(c: Context<AppEnv>, path: string): string {
  return (c.var.config.baseUrl || new URL(c.req.url).origin) + path;
}

/** Comma-separated values of a query parameter, from every occurrence. */
function commaList(c: Context, name: string): string[] {
  const values = (c.req.queries(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (values.length > 100) throw invalidInput(name, `${name} may list at most 100 values`);
  return values.map((v) => expectString(v, name, { max: 450 }));
}

function since(c: Context, name: string): ResultFilters['since'] {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const [start, end, extra] = raw.split(',');
  if (extra !== undefined) throw invalidInput(name, `${name} must be 'start' or 'start,end', got '${raw.slice(0, 60)}'`);
  return { start: expectTime(start, name), end: end ? expectTime(end, name) : undefined };
}

/** Every ResultsDB filter of a /results query; unknown parameters are data filters. */
export function resultFiltersOf(c: Context): ResultFilters {
  const data: DataFilter[] = [];
  for (const name of Object.keys(c.req.queries())) {
    if (reserved.includes(name)) continue;
    const like = name.endsWith(':like');
    const key = expectDataKey(like ? name.slice(0, -5) : name, name);
    const values = commaList(c, name);
    if (values.length) data.push({ key, values, like });
  }
  if (data.length > 20) throw invalidInput('query', 'at most 20 data filters are allowed');
  return {
    outcomes: commaList(c, 'outcome').map((o) => expectOutcome(o, 'outcome')) as ResultOutcome[],
    testcases: commaList(c, 'testcases'),
    testcaseGlobs: commaList(c, 'testcases:like'),
    groups: commaList(c, 'groups'),
    since: since(c, 'since'),
    data,
  };
}

function paging(c: Context, defaultLimit: number): { page: number; limit: number; offset: number } {
  const page = queryInteger(c, 'page', { min: 0, max: 1_000_000 }) ?? 0;
  const limit = queryInteger(c, 'limit', { min: 1, max: maxLimit }) ?? defaultLimit;
  return { page, limit, offset: page * limit };
}

/** ResultsDB's `{prev, next, data}`: rows holds limit+1 when there is a next page. */
function pageJson<T, J>(c: Context, rows: T[], page: { page: number; limit: number }, render: (row: T) => J) {
  const link = (p: number) => {
    const url = new URL(c.req.url);
    url.searchParams.set('page', String(p));
    return url.toString();
  };
  return {
    prev: page.page > 0 ? link(page.page - 1) : null,
    next: rows.length > page.limit ? link(page.page + 1) : null,
    data: rows.slice(0, page.limit).map(render),
  };
}

const resultSchema = s.object({
  id: s.integer(), groups: s.array(s.string()), testcase: s.object({ name: s.string(), ref_url: s.nullable(s.string()), href: s.string() }),
  submit_time: s.string(), outcome: s.enum(resultOutcomes), note: s.nullable(s.string()), ref_url: s.nullable(s.string()),
  data: s.object({}, [], { additionalProperties: s.array(s.string()) }), href: s.string(),
});
const listOf = (item: JsonSchema) => s.object({ prev: s.nullable(s.string()), next: s.nullable(s.string()), data: s.array(item) });
const testcaseSchema = s.object({ name: s.string(), ref_url: s.nullable(s.string()), href: s.string() });
const groupSchema = s.object({ uuid: s.string(), description: s.nullable(s.string()), ref_url: s.nullable(s.string()), results_count: s.integer(), results: s.string(), href: s.string() });
const resultQuery = [
  { name: 'page', schema: s.integer({ minimum: 0 }), description: 'Page number, from 0' },
  { name: 'limit', schema: s.integer({ minimum: 1, maximum: maxLimit }), description: 'Results per page (default 20)' },
  { name: 'outcome', schema: s.string(), description: 'Comma-separated outcomes (OR)', repeatable: true },
  { name: 'testcases', schema: s.string(), description: 'Comma-separated testcase names (OR)', repeatable: true },
  { name: 'testcases:like', schema: s.string(), description: 'Comma-separated testcase globs with *', repeatable: true },
  { name: 'groups', schema: s.string(), description: 'Comma-separated group uuids', repeatable: true },
  { name: 'since', schema: s.string(), description: 'start[,end], ISO 8601 (UTC when no zone)' },
  { name: '_sort', schema: s.enum(['desc:submit_time', 'asc:submit_time', 'disable_sorting']), description: 'Order (default newest first)' },
  { name: '<key>', schema: s.string(), description: 'Any other parameter filters result data: key=v1,v2 (OR), several keys AND, key:like=glob*' },
];

const testcaseJson = (base: string) => (t: { name: string; ref_url: string | null }) => ({ name: t.name, ref_url: t.ref_url, href: `${base}/testcases/${encodeURIComponent(t.name)}` });
const groupJson = (base: string) => (g: { uuid: string; description: string | null; ref_url: string | null; results_count: number }) => ({
  uuid: g.uuid, description: g.description, ref_url: g.ref_url, results_count: g.results_count,
  results: `${base}/results?groups=${encodeURIComponent(g.uuid)}`, href: `${base}/groups/${encodeURIComponent(g.uuid)}`,
});

async function resultOr404(db: Db, idText: string) {
  if (!/^\d{1,15}$/.test(idText)) throw invalidInput('id', `result id must be a positive integer, got '${idText.slice(0, 60)}'`);
  const row = await getResult(db, Number(idText));
  if (!row) throw notFound('result', idText);
  return row;
}

/** One page of /results; `scope` (the testcase or group of a nested route) replaces that query filter, as in ResultsDB. */
async function resultsPage(c: Context<AppEnv>, scope: Pick<ResultFilters, 'testcases' | 'groups'>): Promise<Response> {
  const filters = { ...resultFiltersOf(c), ...scope };
  const page = paging(c, 20);
  const sort = (c.req.query('_sort') || 'desc:submit_time') as ResultSort;
  if (!['desc:submit_time', 'asc:submit_time', 'disable_sorting'].includes(sort)) throw invalidInput('_sort', `_sort must be desc:submit_time, asc:submit_time or disable_sorting, got '${sort.slice(0, 60)}'`);
  const rows = await listResults(c.var.db, filters, { offset: page.offset, limit: page.limit + 1, sort });
  const base = apiBase(c, prefix);
  return c.json(pageJson(c, rows, page, (r) => resultJson(r, base)));
}

export function registerResultsRoutes(routes: ApiRoutes): void {
  const tag = 'results';
  for (const path of [prefix, `${prefix}/`]) {
    routes.add({
      method: 'get', path, tag, summary: 'ResultsDB landing page: links to the collections and the accepted outcomes',
      response: s.object({ message: s.string(), groups: s.string(), results: s.string(), testcases: s.string(), outcomes: s.array(s.string()) }),
      handler: (c) => {
        const base = apiBase(c, prefix);
        return c.json({ message: 'Ripple results, ResultsDB API v2.0 compatible', documentation: `${apiBase(c, '')}/openapi.json`,
          groups: `${base}/groups`, results: `${base}/results`, testcases: `${base}/testcases`, outcomes: resultOutcomes });
      },
    });
  }
  routes.add({
    method: 'get', path: `${prefix}/healthcheck`, tag, summary: 'ResultsDB-compatible health check (the database answers)',
    response: s.object({ message: s.string() }),
    handler: async (c) => {
      await c.var.db.selectFrom('testcases').select('id').limit(1).execute();
      return c.json({ message: 'Health check OK' });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/results`, tag, summary: 'Results, newest first, with every ResultsDB filter', query: resultQuery,
    response: listOf(resultSchema),
    handler: (c) => resultsPage(c, {}),
  });
  routes.add({
    method: 'get', path: `${prefix}/testcases/:name/results`, tag, summary: "A testcase's results, newest first, with every /results filter (404 for an unknown testcase)",
    pathParameters: { name: 'Testcase name' }, query: resultQuery.filter((q) => q.name !== 'testcases'), response: listOf(resultSchema),
    handler: async (c) => {
      const name = pathParam(c, 'name');
      if ((await listTestcases(c.var.db, { names: [name] }, { offset: 0, limit: 1 })).length === 0) throw notFound('testcase', name);
      return resultsPage(c, { testcases: [name] });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/groups/:uuid/results`, tag, summary: "A group's results, newest first, with every /results filter (404 for an unknown group)",
    pathParameters: { uuid: 'Group uuid' }, query: resultQuery.filter((q) => q.name !== 'groups'), response: listOf(resultSchema),
    handler: async (c) => {
      const uuid = pathParam(c, 'uuid');
      if ((await listGroups(c.var.db, { uuids: [uuid] }, { offset: 0, limit: 1 })).length === 0) throw notFound('group', uuid);
      return resultsPage(c, { groups: [uuid] });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/results/latest`, tag,
    summary: 'The newest result per testcase (and per value of the _distinct_on data keys) among those matching the filters; outcome is ignored',
    query: [...resultQuery.filter((q) => !['page', 'limit', '_sort', 'outcome'].includes(q.name)),
      { name: '_distinct_on', schema: s.string(), description: 'Comma-separated data keys, e.g. scenario,system_architecture,system_variant (needs another filter)' }],
    response: s.object({ data: s.array(resultSchema) }),
    handler: async (c) => {
      const filters = resultFiltersOf(c);
      const distinctOn = commaList(c, '_distinct_on').map((k) => expectDataKey(k, '_distinct_on'));
      if (distinctOn.length > 5) throw invalidInput('_distinct_on', '_distinct_on may name at most 5 keys');
      const filtered = Boolean(filters.testcases?.length || filters.testcaseGlobs?.length || filters.groups?.length || filters.since || filters.data?.length);
      if (distinctOn.length && !filtered) throw invalidInput('_distinct_on', 'Please, provide at least one filter beside \'_distinct_on\'');
      const rows = await latestResults(c.var.db, filters, distinctOn);
      const base = apiBase(c, prefix);
      return c.json({ data: rows.map((r) => resultJson(r, base)) });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/results/:id`, tag, summary: 'One result', pathParameters: { id: 'Result id' }, response: resultSchema,
    handler: async (c) => c.json(resultJson(await resultOr404(c.var.db, pathParam(c, 'id')), apiBase(c, prefix))),
  });
  routes.add({
    method: 'post', path: `${prefix}/results`, tag, scope: 'ci', status: 201,
    summary: 'Store a result (ResultsDB body: testcase, outcome, note, ref_url, groups, data, submit_time); needs a ci token allowed for the testcase',
    body: s.object({
      testcase: { oneOf: [s.string(), s.object({ name: s.string(), ref_url: s.string() }, ['name'])] }, outcome: s.enum(resultOutcomes),
      note: s.string(), ref_url: s.string(), groups: s.array(s.any()), data: s.object({}), submit_time: { oneOf: [s.integer(), s.dateTime()] },
    }, ['testcase', 'outcome']),
    response: resultSchema,
    handler: async (c) => {
      const input = parseResultBody(await readJsonBody(c));
      const row = await resultBatcher(c.var.db, c.var.config.policiesDir).submit(input, caller(c));
      return c.json(resultJson(row, apiBase(c, prefix)), 201);
    },
  });

  routes.add({
    method: 'get', path: `${prefix}/testcases`, tag, summary: 'Testcases by name',
    query: [
      { name: 'name', schema: s.string(), description: 'Comma-separated names', repeatable: true },
      { name: 'name:like', schema: s.string(), description: 'Comma-separated globs with *', repeatable: true },
      ...resultQuery.slice(0, 2),
    ],
    response: listOf(testcaseSchema),
    handler: async (c) => {
      const page = paging(c, 20);
      const rows = await listTestcases(c.var.db, { names: commaList(c, 'name'), globs: commaList(c, 'name:like') }, { offset: page.offset, limit: page.limit + 1 });
      return c.json(pageJson(c, rows, page, testcaseJson(apiBase(c, prefix))));
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/testcases/:name`, tag, summary: 'One testcase', pathParameters: { name: 'Testcase name' }, response: testcaseSchema,
    handler: async (c) => {
      const name = pathParam(c, 'name');
      const [row] = await listTestcases(c.var.db, { names: [name] }, { offset: 0, limit: 1 });
      if (!row) throw notFound('testcase', name);
      return c.json(testcaseJson(apiBase(c, prefix))(row));
    },
  });
  routes.add({
    method: 'post', path: `${prefix}/testcases`, tag, scope: 'ci', status: 201, summary: 'Create or update a testcase',
    body: s.object({ name: s.string(), ref_url: s.string() }, ['name']), response: testcaseSchema,
    handler: async (c) => {
      const body = await readJsonBody(c);
      const name = expectTestcaseName(body.name, 'name');
      const refUrl = body.ref_url == null ? null : expectString(body.ref_url, 'ref_url');
      await assertMay(c.var.db, caller(c), 'result', [name]);
      await c.var.db.insertInto('testcases').values({ name, ref_url: refUrl }).onConflict((oc) => oc.column('name').doUpdateSet({ ref_url: refUrl })).execute();
      return c.json(testcaseJson(apiBase(c, prefix))({ name, ref_url: refUrl }), 201);
    },
  });

  routes.add({
    method: 'get', path: `${prefix}/groups`, tag, summary: 'Result groups, newest first',
    query: [
      { name: 'uuid', schema: s.string(), description: 'Comma-separated uuids', repeatable: true },
      { name: 'description', schema: s.string(), description: 'Comma-separated exact descriptions (OR)', repeatable: true },
      { name: 'description:like', schema: s.string(), description: 'Comma-separated globs with *', repeatable: true },
      ...resultQuery.slice(0, 2),
    ],
    response: listOf(groupSchema),
    handler: async (c) => {
      const page = paging(c, 20);
      const rows = await listGroups(c.var.db, {
        uuids: commaList(c, 'uuid'),
        descriptions: commaList(c, 'description'),
        descriptionGlobs: commaList(c, 'description:like'),
      }, { offset: page.offset, limit: page.limit + 1 });
      return c.json(pageJson(c, rows, page, groupJson(apiBase(c, prefix))));
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/groups/:uuid`, tag, summary: 'One group', pathParameters: { uuid: 'Group uuid' }, response: groupSchema,
    handler: async (c) => {
      const uuid = pathParam(c, 'uuid');
      const [row] = await listGroups(c.var.db, { uuids: [uuid] }, { offset: 0, limit: 1 });
      if (!row) throw notFound('group', uuid);
      return c.json(groupJson(apiBase(c, prefix))(row));
    },
  });
  routes.add({
    method: 'post', path: `${prefix}/groups`, tag, scope: 'ci', status: 201, summary: 'Create or update a group (uuid generated when absent)',
    body: s.object({ uuid: s.string(), description: s.string(), ref_url: s.string() }), response: groupSchema,
    handler: async (c) => {
      const body = await readJsonBody(c);
      const group = parseGroup({ uuid: body.uuid ?? crypto.randomUUID(), description: body.description, ref_url: body.ref_url }, 'body');
      await withTransaction(c.var.db, (trx) => upsertGroup(trx, group));
      const [row] = await listGroups(c.var.db, { uuids: [group.uuid] }, { offset: 0, limit: 1 });
      return c.json(groupJson(apiBase(c, prefix))(row!), 201);
    },
  });
}
