/** HTTP routes of builds and builders. */
import { withTransaction } from '../db/database.ts';
import { ErrorCode, RippleError, notFound } from '../errors.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import { cancelBuilds } from './build-queue.ts';
import { expectInteger, queryEnum, queryInteger, queryString } from '../http/validation.ts';
import { buildLog, buildStates, getBuild, listBuilders, listBuilds } from './queries.ts';

const idParam = (value: string | undefined) => expectInteger(Number(/^\d{1,15}$/.test(value ?? '') ? value : NaN), 'id', { min: 1 });

export const buildSchema = s.object({
  id: s.integer(), collection: s.string(), package: s.string(), snapshot: s.integer(), backend: s.string(), arch: s.nullable(s.string()),
  state: s.enum(buildStates), reason: s.object({ kind: s.string() }), priority: s.integer(), attempt: s.integer(), worker: s.nullable(s.string()),
  leaseExpiresAt: s.nullable(s.dateTime()), notBefore: s.nullable(s.dateTime()), queuedAt: s.dateTime(), startedAt: s.nullable(s.dateTime()),
  finishedAt: s.nullable(s.dateTime()), durationMs: s.nullable(s.integer()), exitStatus: s.nullable(s.integer()), error: s.nullable(s.string()),
  outcome: s.nullable(s.enum(['passed', 'fixed', 'regression', 'still-failing', 'failed', 'infra'])), taskId: s.nullable(s.integer()),
  buildrootSize: s.nullable(s.integer()), logUrl: s.string(), cancelRequested: s.boolean(), canceledBy: s.nullable(s.string()),
});

export function registerBuildRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'get', path: '/api/builds', tag: 'builds', summary: 'Builds, newest first',
    query: [
      { name: 'collection', schema: s.string(), description: 'collection name' },
      { name: 'package', schema: s.string(), description: 'package name' },
      { name: 'state', schema: s.enum(buildStates), description: 'build state' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000 }), description: 'most builds returned (default 100)' },
    ],
    response: s.array(buildSchema),
    handler: async (c) => {
      const state = queryEnum(c, 'state', buildStates);
      return c.json(await listBuilds(c.var.db, {
        collection: queryString(c, 'collection'), package: queryString(c, 'package'), states: state ? [state] : undefined,
        limit: queryInteger(c, 'limit', { min: 1, max: 1000 }),
      }));
    },
  });
  routes.add({
    method: 'get', path: '/api/builds/:id', tag: 'builds', summary: 'A build with the dependency changes it applied since the previous build',
    pathParameters: { id: 'build id' },
    response: { ...buildSchema, properties: { ...(buildSchema.properties as object), dependencyChanges: s.array(s.object({ name: s.string(), kind: s.string(), distance: s.nullable(s.integer()) })) } },
    handler: async (c) => c.json(await getBuild(c.var.db, idParam(c.req.param('id')))),
  });
  routes.add({
    method: 'post', path: '/api/builds/:id/cancel', tag: 'builds', scope: 'maintainer',
    summary: 'Cancel a build: a queued one at once, a running one is stopped by its worker (cancelRequested until then); 409 once finished',
    pathParameters: { id: 'build id' }, response: buildSchema,
    handler: async (c) => {
      const id = idParam(c.req.param('id'));
      await withTransaction(c.var.db, async (trx) => {
        const build = await trx.selectFrom('builds').select('state').where('id', '=', id).forUpdate().executeTakeFirst();
        if (!build) throw notFound('build', String(id));
        const [outcome] = await cancelBuilds(trx, [id], caller(c).user.name);
        if (!outcome) throw new RippleError(ErrorCode.Conflict, `build ${id} already ended (${build.state}); only queued or running builds can be canceled`, { field: 'id', state: build.state });
      });
      const { dependencyChanges: _changes, ...build } = await getBuild(c.var.db, id);
      return c.json(build);
    },
  });
  routes.add({
    method: 'get', path: '/api/builds/:id/log', tag: 'builds', summary: 'The build log (text/plain)',
    pathParameters: { id: 'build id' },
    response: s.string(),
    handler: async (c) => c.text(await buildLog(c.var.db, idParam(c.req.param('id')))),
  });
  routes.add({
    method: 'get', path: '/api/builders', tag: 'builds', summary: 'Registered builders with their capacity and running builds',
    response: s.array(s.object({
      name: s.string(), backend: s.string(), platforms: s.array(s.string()), arches: s.array(s.string()), capacity: s.integer(),
      draining: s.boolean(), registeredAt: s.dateTime(), lastSeen: s.dateTime(), running: s.integer(),
    })),
    handler: async (c) => c.json(await listBuilders(c.var.db)),
  });
}
