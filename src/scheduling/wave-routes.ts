/** HTTP routes of rebuild waves: plan (nothing queued), start, pause, resume, cancel, list, detail. */
import type { WaveTarget } from '../db/schema.ts';
import { invalidInput } from '../errors.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import {
  expectArray, expectInteger, expectKeys, expectObject, expectPackageName, expectString, maxName, maxText, queryEnum, queryInteger, queryString, readJsonBody,
  type JsonObject,
} from '../http/validation.ts';
import { listWaves, maxDetailEdges, planWave, transitionWave, waveDetail, waveNodeStates, waveStates, type WaveAction } from './waves.ts';

const idParam = (value: string | undefined) => expectInteger(Number(/^\d{1,15}$/.test(value ?? '') ? value : NaN), 'id', { min: 1 });

const counts = s.object(Object.fromEntries(waveNodeStates.map((state) => [state, s.integer()])));
const summarySchema = s.object({
  id: s.integer(), collection: s.string(), state: s.enum(waveStates),
  target: s.object({ kind: s.enum(['affected', 'group', 'packages']), value: s.any() }), description: s.string(), snapshot: s.integer(),
  createdBy: s.string(), createdAt: s.dateTime(), startedAt: s.nullable(s.dateTime()), finishedAt: s.nullable(s.dateTime()),
  currentBatch: s.nullable(s.integer()), batchCount: s.integer(),
  estimate: s.object({
    builds: s.integer(), buildSeconds: s.integer(), expectedSeconds: s.integer(), fromHistory: s.integer(), fallback: s.integer(),
    fallbackSeconds: s.integer(), batchSeconds: s.array(s.integer()),
  }),
  counts, cycles: s.array(s.object({ id: s.integer(), batch: s.integer(), packages: s.array(s.string()) })), waitingFor: s.nullable(s.string()),
});
const detailSchema = {
  ...summarySchema,
  properties: {
    ...(summarySchema.properties as object),
    batches: s.array(s.object({ index: s.integer(), state: s.enum(['waiting', 'running', 'done']), expectedSeconds: s.integer(), counts })),
    nodes: s.array(s.object({
      package: s.string(), batch: s.integer(), cycle: s.nullable(s.integer()), state: s.enum(waveNodeStates), buildId: s.nullable(s.integer()),
      expectedSeconds: s.integer(), estimate: s.enum(['history', 'collection', 'default']), reason: s.nullable(s.string()),
    })),
    edges: s.array(s.object({ from: s.string(), to: s.string() }), { description: `the build-dependency edges inside the wave; empty when there are more than ${maxDetailEdges}` }),
    edgeCount: s.integer(),
  },
};

/** Validates a plan request: a collection and exactly one of affected, group, packages. */
export function parseWaveRequest(body: JsonObject): { collection: string; target: WaveTarget; description: string } {
  expectKeys(body, ['collection', 'affected', 'group', 'packages', 'description'], '');
  const collection = expectString(body.collection, 'collection', { min: 1, max: maxName });
  const given = (['affected', 'group', 'packages'] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1) throw invalidInput(given[1] ?? 'affected', 'give exactly one of affected (a package or binary), group (namespace/name) or packages (a list)');
  const kind = given[0]!;
  const target: WaveTarget = kind === 'packages'
    ? { kind, value: [...new Set(expectArray(body.packages, 'packages', expectPackageName, { min: 1, max: 100_000 }))] }
    : { kind, value: kind === 'affected' ? expectPackageName(body.affected, 'affected') : expectString(body.group, 'group', { min: 1, max: 2 * maxName + 1 }) };
  const description = body.description === undefined ? '' : expectString(body.description, 'description', { max: maxText });
  return { collection, target, description };
}

export function registerWaveRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'post', path: '/api/waves', tag: 'waves', scope: 'maintainer', status: 201,
    summary: 'Plan a rebuild wave (everything affected by a package or binary, a group, or a list): batches, cycles and cost estimate; nothing is queued',
    body: s.object({
      collection: s.string(), affected: s.string({ description: 'source or binary package name' }), group: s.string({ description: 'namespace/name' }),
      packages: s.array(s.string()), description: s.string(),
    }, ['collection']),
    response: detailSchema,
    handler: async (c) => {
      const request = parseWaveRequest(expectObject(await readJsonBody(c), 'body'));
      return c.json(await planWave(c.var.db, { ...request, by: caller(c).user.name }, c.var.config.maxConcurrentBuilds), 201);
    },
  });
  routes.add({
    method: 'get', path: '/api/waves', tag: 'waves', summary: 'Rebuild waves, newest first',
    query: [
      { name: 'collection', schema: s.string(), description: 'collection name' },
      { name: 'state', schema: s.enum(waveStates), description: 'wave state' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000 }), description: 'most waves returned (default 100)' },
    ],
    response: s.array(summarySchema),
    handler: async (c) => c.json(await listWaves(c.var.db, {
      collection: queryString(c, 'collection'), state: queryEnum(c, 'state', waveStates), limit: queryInteger(c, 'limit', { min: 1, max: 1000 }),
    })),
  });
  routes.add({
    method: 'get', path: '/api/waves/:id', tag: 'waves', summary: 'A wave with its batches, every package with its state, and the build-dependency edges inside it',
    pathParameters: { id: 'wave id' }, response: detailSchema,
    handler: async (c) => c.json(await waveDetail(c.var.db, idParam(c.req.param('id')))),
  });
  const actions: [WaveAction, string][] = [
    ['start', 'Start a planned wave: the scheduler queues its first batch'],
    ['pause', 'Pause a running wave: nothing more is queued; queued and running builds go on'],
    ['resume', 'Resume a paused wave'],
    ['cancel', 'Cancel a wave: pending packages are not built, queued builds are canceled, running ones asked to stop'],
  ];
  for (const [action, summary] of actions) {
    routes.add({
      method: 'post', path: `/api/waves/:id/${action}`, tag: 'waves', scope: 'maintainer', summary,
      pathParameters: { id: 'wave id' }, response: summarySchema,
      handler: async (c) => c.json(await transitionWave(c.var.db, idParam(c.req.param('id')), action, caller(c).user.name)),
    });
  }
}
