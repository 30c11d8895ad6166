/** HTTP routes of scheduling: the queue, a package's priority breakdown, manual build requests. */
import { buildSchema } from '../builds/routes.ts';
import { buildQueue } from '../builds/queries.ts';
import { withTransaction } from '../db/database.ts';
import { notFound } from '../errors.ts';
import { appendEvents } from '../events/event-log.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import { pathParam } from '../http/validation.ts';
import { packageSchedule } from './package-schedule.ts';
import { priorityConfig } from './priority.ts';
import { rebuildPolicyFromConfig } from './rebuild-policy.ts';
import { registerWaveRoutes } from './wave-routes.ts';
import { activeBuilds } from './scheduler.ts';

const packageParams = { collection: 'collection name', name: 'package name' };
const scheduleSchema = s.object({
  collection: s.string(), package: s.string(), threshold: s.integer(),
  priority: s.object({ manual: s.number(), static: s.number(), dependency: s.number(), build: s.number(), retry: s.number(), time: s.number(), coefficient: s.number(), total: s.integer() }),
  notScheduledBecause: s.array(s.string()),
  unappliedChanges: s.array(s.object({ name: s.string(), kind: s.string(), distance: s.nullable(s.integer()), previous: s.nullable(s.string()), current: s.nullable(s.string()) })),
  lastBuild: s.nullable(s.object({ id: s.integer(), outcome: s.nullable(s.string()), finishedAt: s.nullable(s.dateTime()) })),
  activeBuild: s.nullable(s.object({ id: s.integer(), state: s.string() })),
});

export function registerSchedulingRoutes(routes: ApiRoutes): void {
  registerWaveRoutes(routes);
  routes.add({
    method: 'get', path: '/api/queue', tag: 'builds', summary: 'Running and queued builds (claim order) against the global cap',
    response: s.object({ cap: s.integer(), active: s.integer(), builds: s.array(buildSchema) }),
    handler: async (c) => {
      const active = [...(await activeBuilds(c.var.db)).values()].reduce((a, b) => a + b, 0);
      return c.json({ cap: c.var.config.maxConcurrentBuilds, active, builds: await buildQueue(c.var.db) });
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:collection/packages/:name/schedule', tag: 'builds',
    summary: 'Priority breakdown, unapplied dependency changes, and why the package is not scheduled',
    pathParameters: packageParams, response: scheduleSchema,
    handler: async (c) => c.json(await packageSchedule(c.var.db, pathParam(c, 'collection'), pathParam(c, 'name'), priorityConfig(c.var.config))),
  });
  routes.add({
    method: 'post', path: '/api/collections/:collection/packages/:name/builds', tag: 'builds', scope: 'maintainer', status: 201,
    summary: 'Request a build: raises the manual priority (reset once the scheduler submits it)',
    pathParameters: packageParams, response: scheduleSchema,
    handler: async (c) => {
      const collection = pathParam(c, 'collection');
      const name = pathParam(c, 'name');
      const wanted = c.var.config.manualBuildPriority;
      await withTransaction(c.var.db, async (trx) => {
        const pkg = await trx.selectFrom('packages as p').innerJoin('collections as k', 'k.id', 'p.collection_id')
          .select(['p.id', 'p.manual_priority', 'k.id as collectionId']).where('k.name', '=', collection).where('p.name', '=', name)
          .forUpdate().executeTakeFirst();
        if (!pkg) throw notFound('package', `${collection}/${name}`);
        await trx.updateTable('packages').set({ manual_priority: Math.max(pkg.manual_priority, wanted) }).where('id', '=', pkg.id).execute();
        await appendEvents(trx, [{ type: 'build.requested', collectionId: pkg.collectionId, packageName: name, payload: {
          collection, name, by: caller(c).user.name, manual_priority: Math.max(pkg.manual_priority, wanted),
        } }]);
      });
      return c.json(await packageSchedule(c.var.db, collection, name, priorityConfig(c.var.config), new Date(), rebuildPolicyFromConfig(c.var.config)), 201);
    },
  });
}
