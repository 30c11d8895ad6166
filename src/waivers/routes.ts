/** WaiverDB API v1.0 routes under /api/v1.0/waivers (declared once, see http/api-routes.ts). */
import type { Context } from 'hono';
import { invalidInput, notFound } from '../errors.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import { expectArray, expectBoolean, expectObject, expectString, maxName, pathParam, queryBoolean, queryInteger, queryString } from '../http/validation.ts';
import { loadPolicyDirectory } from '../gating/policies.ts';
import { expectTime } from '../results/expect-time.ts';
import { findWaivers, getWaiver, waiverJson, type WaiverFilter } from './queries.ts';
import { createWaivers, parseWaiverBody } from './service.ts';

const prefix = '/api/v1.0';
const maxBody = 4 * 1024 * 1024;

/** A JSON body that may be one object or a list of them. */
async function readJsonValue(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > maxBody) throw invalidInput('body', `request body is larger than ${maxBody} bytes`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidInput('body', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

function sinceRange(value: unknown, field: string): WaiverFilter['since'] {
  const [start, end, extra] = expectString(value, field, { max: 200 }).split(',');
  if (extra !== undefined || !start) throw invalidInput(field, `${field} must be 'start' or 'start,end'`);
  return { start: expectTime(start, field), end: end ? expectTime(end, field) : undefined };
}

const filterKeys = ['subject_type', 'subject_identifier', 'testcase', 'scenario', 'product_version', 'username', 'proxied_by'] as const;

function parseFilter(value: unknown, field: string): WaiverFilter {
  const object = expectObject(value, field);
  const filter: WaiverFilter = {};
  for (const [key, v] of Object.entries(object)) {
    if (key === 'since') filter.since = sinceRange(v, `${field}.since`);
    else if (key === 'scenario' && v === null) filter.scenario = null;
    else if ((filterKeys as readonly string[]).includes(key)) filter[key as (typeof filterKeys)[number]] = expectString(v, `${field}.${key}`, { max: maxName });
    else throw invalidInput(`${field}.${key}`, `unknown filter '${key}' (expected ${[...filterKeys, 'since'].join(', ')})`);
  }
  return filter;
}

const waiverSchema = s.object({
  id: s.integer(), subject_type: s.string(), subject_identifier: s.string(), subject: s.object({ type: s.string(), item: s.string() }),
  testcase: s.string(), scenario: s.nullable(s.string()),
  covers_all_scenarios: s.boolean(), username: s.string(), proxied_by: s.nullable(s.string()), product_version: s.string(),
  waived: s.boolean(), comment: s.string(), timestamp: s.string(),
});
const newWaiverSchema = s.object({
  subject_type: s.string(), subject_identifier: s.string(), testcase: s.string(), product_version: s.string(), waived: s.boolean(),
  comment: s.string(), scenario: s.nullable(s.string()), username: s.string({ description: 'Admins: waive on behalf of this user' }),
}, ['subject_type', 'subject_identifier', 'testcase', 'product_version', 'waived', 'comment']);

export function registerWaiverRoutes(routes: ApiRoutes): void {
  const tag = 'waivers';
  routes.add({
    method: 'get', path: `${prefix}/waivers/`, tag, summary: 'Waivers, newest first (only current ones unless include_obsolete)',
    query: [
      ...filterKeys.map((name) => ({ name, schema: s.string(), description: `Exact ${name}` })),
      { name: 'since', schema: s.string(), description: 'start[,end], ISO 8601' },
      { name: 'include_obsolete', schema: s.boolean(), description: 'Also waivers superseded by a newer one for the same subject, testcase, product version and scenario' },
      { name: 'page', schema: s.integer({ minimum: 1 }), description: 'Page number, from 1' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000 }), description: 'Waivers per page (default 10)' },
    ],
    response: s.object({ data: s.array(waiverSchema), prev: s.nullable(s.string()), next: s.nullable(s.string()), first: s.string(), last: s.string() }),
    handler: async (c) => {
      const filter: WaiverFilter = {};
      for (const key of filterKeys) {
        const value = queryString(c, key);
        if (value !== undefined) filter[key] = value;
      }
      const since = c.req.query('since');
      if (since) filter.since = sinceRange(since, 'since');
      const page = queryInteger(c, 'page', { min: 1, max: 1_000_000 }) ?? 1;
      const limit = queryInteger(c, 'limit', { min: 1, max: 1000 }) ?? 10;
      const { rows, total } = await findWaivers(c.var.db, [filter], { includeObsolete: queryBoolean(c, 'include_obsolete') ?? false, page: { offset: (page - 1) * limit, limit } });
      const pages = Math.max(1, Math.ceil(total / limit));
      const link = (p: number) => {
        const url = new URL(c.req.url);
        url.searchParams.set('page', String(p));
        return url.toString();
      };
      return c.json({
        data: rows.map(waiverJson),
        prev: page > 1 ? link(Math.min(page - 1, pages)) : null,
        next: page < pages ? link(page + 1) : null,
        first: link(1),
        last: link(pages),
      });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/waivers/:id`, tag, summary: 'One waiver', pathParameters: { id: 'Waiver id' }, response: waiverSchema,
    handler: async (c) => {
      const id = pathParam(c, 'id');
      if (!/^\d{1,15}$/.test(id)) throw invalidInput('id', `waiver id must be a positive integer, got '${id.slice(0, 60)}'`);
      const row = await getWaiver(c.var.db, Number(id));
      if (!row) throw notFound('waiver', id);
      return c.json(waiverJson(row));
    },
  });
  routes.add({
    method: 'post', path: `${prefix}/waivers/`, tag, scope: 'maintainer', status: 201,
    summary: 'Waive (or revoke with waived: false) one requirement or a list of them; admins may set username to waive on behalf of someone',
    body: { oneOf: [newWaiverSchema, s.array(newWaiverSchema)] },
    response: { oneOf: [waiverSchema, s.array(waiverSchema)] },
    handler: async (c) => {
      const body = await readJsonValue(c);
      if (Array.isArray(body)) expectArray(body, 'body', (v) => v, { min: 1, max: 1000 });
      const rows = await createWaivers(c.var.db, parseWaiverBody(body), caller(c), loadPolicyDirectory(c.var.config.policiesDir));
      return c.json(Array.isArray(body) ? rows.map(waiverJson) : waiverJson(rows[0]!), 201);
    },
  });
  routes.add({
    method: 'post', path: `${prefix}/waivers/+filtered`, tag, summary: 'Waivers matching any of the filters (AND inside one filter), not paginated',
    body: s.object({ filters: s.array(s.object(Object.fromEntries([...filterKeys, 'since'].map((k) => [k, s.string()])))), include_obsolete: s.boolean() }),
    response: s.object({ data: s.array(waiverSchema) }),
    handler: async (c) => {
      const body = expectObject(await readJsonValue(c), 'body');
      const filters = body.filters === undefined ? [] : expectArray(body.filters, 'filters', parseFilter, { max: 1000 });
      const includeObsolete = body.include_obsolete === undefined ? false : expectBoolean(body.include_obsolete, 'include_obsolete');
      const { rows } = await findWaivers(c.var.db, filters, { includeObsolete });
      return c.json({ data: rows.map(waiverJson) });
    },
  });
}
