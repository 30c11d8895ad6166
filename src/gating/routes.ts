/** Greenwave-compatible decision API under /api/v1.0 (declared once, see http/api-routes.ts). */
import type { TokenScope } from '../db/schema.ts';
import { invalidInput } from '../errors.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import {
  expectArray, expectEnum, expectInteger, expectKeys, expectString, maxName, maxText, pathParam, queryEnum, readJsonBody,
} from '../http/validation.ts';
import { apiBase } from '../results/routes.ts';
import { makeDecision, parseDecisionRequest } from './decision.ts';
import { addPermission, gatingActions, listPermissions, permissionJson, revokePermission } from './permissions.ts';
import { loadPolicyDirectory, parsePolicies, policyJson } from './policies.ts';
import { subjectTypeJson, subjectTypes } from './subject-types.ts';

const prefix = '/api/v1.0';
const version = '0.1.0';

const requirement = s.object({ type: s.string(), testcase: s.string(), subject_type: s.string(), subject_identifier: s.string() }, ['type']);
const decisionSchema = s.object({
  policies_satisfied: s.boolean(), summary: s.string(), satisfied_requirements: s.array(requirement), unsatisfied_requirements: s.array(requirement),
  applicable_policies: s.array(s.string()), results: s.array(s.object({})), waivers: s.array(s.object({})),
}, ['policies_satisfied', 'summary', 'satisfied_requirements', 'unsatisfied_requirements']);

const permissionSchema = s.object({
  id: s.integer(), action: s.enum(gatingActions), testcase_glob: s.string(), users: s.array(s.string()), scopes: s.array(s.string()),
  tokens: s.array(s.integer()), granted_by: s.nullable(s.string()), comment: s.string(), created_at: s.dateTime(),
});
const tokenScopes: readonly TokenScope[] = ['admin', 'maintainer', 'ci'];

function registerPermissionRoutes(routes: ApiRoutes): void {
  const tag = 'gating';
  routes.add({
    method: 'get', path: '/api/gating/permissions', tag, scope: 'any',
    summary: 'Who may post results (action result) or waive (action waive) for which testcases; no row for an action: the route scope suffices',
    query: [{ name: 'action', schema: s.enum(gatingActions), description: 'Only grants for this action' }],
    response: s.object({ data: s.array(permissionSchema) }),
    handler: async (c) => c.json({ data: (await listPermissions(c.var.db, { action: queryEnum(c, 'action', gatingActions) })).map(permissionJson) }),
  });
  routes.add({
    method: 'post', path: '/api/gating/permissions', tag, scope: 'admin', status: 201,
    summary: 'Grant users, single tokens or token scopes permission to post results for (result) or waive (waive) testcases matching a glob',
    body: s.object({
      action: s.enum(gatingActions), testcase_glob: s.string(), users: s.array(s.string()), tokens: s.array(s.integer()),
      scopes: s.array(s.enum(tokenScopes)), comment: s.string(),
    }, ['action', 'testcase_glob']),
    response: permissionSchema,
    handler: async (c) => {
      const body = await readJsonBody(c);
      expectKeys(body, ['action', 'testcase_glob', 'users', 'tokens', 'scopes', 'comment'], 'body');
      const list = <T>(key: string, item: (v: unknown, f: string) => T) => (body[key] == null ? [] : expectArray(body[key], key, item, { max: 1000 }));
      const row = await addPermission(c.var.db, {
        action: expectEnum(body.action, 'action', gatingActions),
        testcaseGlob: expectString(body.testcase_glob, 'testcase_glob', { min: 1, max: maxName }),
        users: list('users', (v, f) => expectString(v, f, { min: 1, max: maxName })),
        tokenIds: list('tokens', (v, f) => expectInteger(v, f, { min: 1, max: Number.MAX_SAFE_INTEGER })),
        scopes: list('scopes', (v, f) => expectEnum(v, f, tokenScopes)),
        comment: body.comment == null ? '' : expectString(body.comment, 'comment', { max: maxText }),
      }, caller(c).user.name);
      return c.json(permissionJson(row), 201);
    },
  });
  routes.add({
    method: 'delete', path: '/api/gating/permissions/:id', tag, scope: 'admin', summary: 'Revoke a grant; answers the removed grant',
    pathParameters: { id: 'Grant id' }, response: permissionSchema,
    handler: async (c) => {
      const id = pathParam(c, 'id');
      if (!/^\d{1,15}$/.test(id)) throw invalidInput('id', `grant id must be a positive integer, got '${id.slice(0, 60)}'`);
      return c.json(permissionJson(await revokePermission(c.var.db, Number(id))));
    },
  });
}

export function registerGatingRoutes(routes: ApiRoutes): void {
  registerPermissionRoutes(routes);
  const tag = 'gating';
  routes.add({
    method: 'post', path: `${prefix}/decision`, tag,
    summary: 'Greenwave decision: are the required tests of the subjects passed or waived under the policies of the decision contexts?',
    body: s.object({
      product_version: s.string(), decision_context: { oneOf: [s.string(), s.array(s.string())] }, rules: s.array(s.object({})),
      subject_type: s.string(), subject_identifier: s.string(), subject: s.array(s.object({ type: s.string(), item: s.string() })),
      verbose: s.boolean(), when: s.dateTime(), ignore_result: s.array(s.integer()), ignore_waiver: s.array(s.integer()),
    }, ['product_version']),
    response: decisionSchema,
    handler: async (c) => {
      const request = parseDecisionRequest(await readJsonBody(c));
      const decision = await makeDecision(c.var.db, loadPolicyDirectory(c.var.config.policiesDir), request, apiBase(c, '/api/v2.0'));
      return c.json(decision);
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/policies`, tag, summary: 'The loaded policies',
    response: s.object({ policies: s.array(s.object({ id: s.string() })) }),
    handler: (c) => c.json({ policies: loadPolicyDirectory(c.var.config.policiesDir).policies.map(policyJson) }),
  });
  routes.add({
    method: 'get', path: `${prefix}/subject_types`, tag, summary: 'Subject types decisions can be made about',
    response: s.object({ subject_types: s.array(s.object({ id: s.string(), aliases: s.array(s.string()) })) }),
    handler: (c) => c.json({ subject_types: subjectTypes.map(subjectTypeJson) }),
  });
  routes.add({
    method: 'post', path: `${prefix}/validate-gating-yaml`, tag,
    summary: 'Validate a gating.yaml (request body: the YAML text); 400 with the problem and its line when invalid',
    response: s.object({ message: s.string() }),
    handler: async (c) => {
      const text = await c.req.text();
      if (text.length > 1024 * 1024) throw invalidInput('body', 'gating.yaml must be at most 1 MiB');
      if (text.trim() === '') throw invalidInput('body', 'No policies defined: the request body must be the gating.yaml text');
      const policies = parsePolicies(text, 'gating.yaml', { remote: true });
      if (policies.length === 0) throw invalidInput('body', 'No policies defined');
      return c.json({ message: 'All OK' });
    },
  });
  routes.add({
    method: 'get', path: `${prefix}/about`, tag, summary: 'Version of this Greenwave-compatible API',
    response: s.object({ version: s.string() }),
    handler: (c) => c.json({ version, compatible_with: 'greenwave', cache: 'none: decisions are computed from the current tables' }),
  });
}
