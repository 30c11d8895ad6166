/** The OpenAPI 3.1 document, rendered from the route declarations (api-routes.ts). */
import type { RouteDeclaration } from './api-routes.ts';
import { statusByCode } from './error-handler.ts';

const errorSchema = {
  type: 'object',
  required: ['message', 'code', 'details'],
  properties: { message: { type: 'string' }, code: { type: 'string' }, details: { type: 'object' } },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** `/api/collections/:name` -> `/api/collections/{name}`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function operation(route: RouteDeclaration): Record<string, unknown> {
  const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  const parameters = [
    ...pathNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: route.pathParameters?.[name] ?? name,
      schema: { type: 'string' },
    })),
    ...(route.query ?? []).map((q) => ({
      name: q.name,
      in: 'query',
      required: false,
      description: q.description,
      schema: q.repeatable ? { type: 'array', items: q.schema } : q.schema,
      ...(q.repeatable ? { style: 'form', explode: true } : {}),
    })),
  ];
  const responses: Record<string, unknown> = {
    [String(route.status ?? 200)]: { description: 'success', content: { 'application/json': { schema: route.response } } },
    '400': errorResponse('invalid input; details.field names it'),
  };
  if (route.scope) {
    responses['401'] = errorResponse('missing, unknown, revoked or expired token');
    responses['403'] = errorResponse('the token lacks the required scope');
  }
  if (pathNames.length) responses['404'] = errorResponse('no such object');
  if (route.method !== 'get') responses['409'] = errorResponse('conflicts with stored data');
  return {
    operationId: `${route.method}${route.path.replace(/[:/{}-]+(\w)?/g, (_m, c?: string) => (c ? c.toUpperCase() : ''))}`,
    summary: route.summary,
    tags: [route.tag],
    parameters,
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
    responses,
    ...(route.scope ? { security: [{ bearer: route.scope === 'any' ? [] : [route.scope] }] } : {}),
  };
}

export function openApiDocument(routes: readonly RouteDeclaration[], info: { version: string; serverUrl?: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Ripple API',
      version: info.version,
      description: `Errors are JSON {message, code, details}; codes and statuses: ${Object.entries(statusByCode).map(([c, s]) => `${c} ${s}`).join(', ')}.`,
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API token (rpl_...); scopes admin, maintainer, ci' } },
    },
  };
}
