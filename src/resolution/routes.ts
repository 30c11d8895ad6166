/** HTTP routes of snapshots: a collection's history and the difference between two snapshots. */
import { s, type ApiRoutes } from '../http/api-routes.ts';
import { expectInteger, pathParam, queryInteger } from '../http/validation.ts';
import { diffSnapshots, listSnapshots } from './snapshot-diff.ts';

const sequenceParam = (value: string, field: string) => expectInteger(Number(/^\d{1,9}$/.test(value) ? value : NaN), field, { min: 1 });
const problemSchema = s.object({ sentences: s.array(s.string()), packages: s.array(s.string()), dependencies: s.array(s.string()) });
const sideSchema = s.nullable(s.object({ resolved: s.boolean(), problems: s.array(problemSchema) }));
const rootCauseSchema = s.nullable(s.object({
  transition: s.enum(['became-unresolvable', 'became-resolvable', 'problems-changed']),
  summary: s.string(),
  causes: s.array(s.object({
    kind: s.enum(['replaced', 'removed', 'added', 'source-changed']), name: s.string(), arch: s.nullable(s.string()),
    previous: s.nullable(s.string()), current: s.nullable(s.string()), lostProvides: s.array(s.string()), gainedProvides: s.array(s.string()),
    explanation: s.string(),
  })),
}));

export function registerResolutionRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'get', path: '/api/collections/:collection/snapshots', tag: 'snapshots',
    summary: 'Snapshots of a collection, newest first: state, counts, how many sources were solved and how many results changed',
    pathParameters: { collection: 'collection name' },
    query: [{ name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000 }), description: 'most snapshots returned (default 50)' }],
    response: s.array(s.object({
      sequence: s.integer(), state: s.string(), createdAt: s.dateTime(), activatedAt: s.nullable(s.dateTime()), error: s.nullable(s.string()),
      baseResolved: s.nullable(s.boolean()), binaries: s.nullable(s.integer()), sources: s.nullable(s.integer()), resolved: s.nullable(s.integer()),
      unresolved: s.nullable(s.integer()), solved: s.nullable(s.integer()), changed: s.nullable(s.integer()), durationMs: s.nullable(s.integer()),
    })),
    handler: async (c) => c.json(await listSnapshots(c.var.db, pathParam(c, 'collection', { max: 64 }), queryInteger(c, 'limit', { min: 1, max: 1000 }))),
  });
  routes.add({
    method: 'get', path: '/api/collections/:collection/snapshots/:from/diff/:to', tag: 'snapshots',
    summary: 'Sources whose buildability differs between two snapshots, each with the binary changes that explain it',
    pathParameters: { collection: 'collection name', from: 'earlier snapshot sequence', to: 'later snapshot sequence' },
    response: s.object({
      from: s.integer(), to: s.integer(),
      binaries: s.object({ added: s.integer(), removed: s.integer(), replaced: s.integer(), examples: s.array(s.object({ name: s.string(), arch: s.string(), previous: s.nullable(s.string()), current: s.nullable(s.string()) })) }),
      packages: s.array(s.object({ package: s.string(), before: sideSchema, after: sideSchema, rootCause: rootCauseSchema })),
    }),
    handler: async (c) => c.json(await diffSnapshots(
      c.var.db,
      pathParam(c, 'collection', { max: 64 }),
      sequenceParam(c.req.param('from') ?? '', 'from'),
      sequenceParam(c.req.param('to') ?? '', 'to'),
    )),
  });
}
