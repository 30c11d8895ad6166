/**
 * Route declarations: each domain declares a route once (method, path, summary, parameters,
 * schemas, required scope, handler) and that one declaration registers the Hono handler, enforces
 * the scope and feeds the OpenAPI document (openapi.ts).
 */
import type { Context, Hono } from 'hono';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { AuthContext } from '../users/service.ts';
import { requireScope, type RequiredScope } from './auth.ts';

export interface AppEnv {
  Variables: { db: Db; config: Config; auth?: AuthContext };
}

/** A JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) fragment. */
export type JsonSchema = Record<string, unknown>;

export interface QueryParameter {
  name: string;
  schema: JsonSchema;
  description: string;
  /** Repeatable (`?state=ok&state=failing`, or comma-separated). */
  repeatable?: boolean;
}

export interface RouteDeclaration {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** Hono syntax: `/api/collections/:name`. */
  path: string;
  summary: string;
  tag: string;
  scope?: RequiredScope;
  /** Path parameters are read from `path`; this documents them. */
  pathParameters?: Record<string, string>;
  query?: QueryParameter[];
  body?: JsonSchema;
  response: JsonSchema;
  status?: 200 | 201;
  handler: (c: Context<AppEnv>) => Response | Promise<Response>;
}

export class ApiRoutes {
  readonly declarations: RouteDeclaration[] = [];
  readonly #app: Hono<AppEnv>;

  constructor(app: Hono<AppEnv>) {
    this.#app = app;
  }

  add(declaration: RouteDeclaration): void {
    this.declarations.push(declaration);
    const { method, path, scope, handler } = declaration;
    if (scope) this.#app.on(method.toUpperCase(), path, requireScope(scope), handler);
    else this.#app.on(method.toUpperCase(), path, handler);
  }
}

// Schema shorthands shared by the domains' declarations.
export const s = {
  string: (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra }),
  integer: (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra }),
  number: (extra: JsonSchema = {}): JsonSchema => ({ type: 'number', ...extra }),
  boolean: (): JsonSchema => ({ type: 'boolean' }),
  dateTime: (): JsonSchema => ({ type: 'string', format: 'date-time' }),
  nullable: (schema: JsonSchema): JsonSchema => ({ oneOf: [schema, { type: 'null' }] }),
  enum: (values: readonly string[]): JsonSchema => ({ type: 'string', enum: [...values] }),
  array: (items: JsonSchema, extra: JsonSchema = {}): JsonSchema => ({ type: 'array', items, ...extra }),
  object: (properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}): JsonSchema => ({
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    ...extra,
  }),
  any: (): JsonSchema => ({}),
};
