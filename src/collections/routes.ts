/** HTTP routes of collections, packages and package groups (declared once, see http/api-routes.ts). */
import type { Context } from 'hono';
import type { Collection } from '../db/schema.ts';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes, type AppEnv } from '../http/api-routes.ts';
import {
  expectArray, expectNumber, expectPackageName, maxName, pathParam, queryBoolean, queryEnum, queryInteger, queryList, queryString, readJsonBody,
} from '../http/validation.ts';
import { invalidInput } from '../errors.ts';
import {
  affectedBy, diffCollections, groupPackageStates, koscheiPackages, listPackages, packageDetail, packageSorts, packageStates, reverseDependencies,
} from './queries.ts';
import {
  addGroupMembers, addPackages, collectionFormats, createCollection, createGroup, deleteCollection, deleteGroup, getCollection, getGroup,
  globalNamespace, listCollections, listGroups, parseGroupRef, removeGroupMembers, requestRegeneration, setPackageFlags, updateCollection,
  groupLabel, updateGroup, type GroupRef,
} from './service.ts';
import { stateBadge } from './badge.ts';
import { collectionStateCounts } from './state-counts.ts';
import { collectionHistory } from './state-history.ts';

export function collectionView(c: Collection) {
  return {
    name: c.name,
    displayName: c.display_name,
    format: c.format,
    sources: c.sources,
    architectures: c.architectures,
    baseBuildroot: c.base_buildroot,
    resolverOptions: c.resolver_options,
    buildBackend: c.build_backend,
    buildTarget: c.build_target,
    priorityCoefficient: c.priority_coefficient,
    pollIntervalSeconds: c.poll_interval_seconds,
    paused: c.paused,
    state: c.state,
    lastError: c.last_error,
    lastErrorAt: c.last_error_at,
    currentSnapshotId: c.current_snapshot_id,
    regenerateRequestedAt: c.regenerate_requested_at,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

// Schemas for the OpenAPI document ----------------------------------------------------------------

const sourceSchema = s.object({ url: s.string({ description: 'path, file://, http:// or https:// URL' }), suite: s.string(), components: s.array(s.string()) }, ['url']);
const collectionSettings = {
  displayName: s.string({ maxLength: maxName }),
  sources: s.array(sourceSchema, { minItems: 1 }),
  architectures: s.array(s.string()),
  baseBuildroot: { oneOf: [s.object({ group: s.string() }, ['group']), s.object({ packages: s.array(s.string()), essential: s.boolean() }, ['packages'])] },
  resolverOptions: s.object({ weakDependencies: s.boolean(), firstAlternativeOnly: s.boolean(), profiles: s.array(s.string()), includeIndep: s.boolean() }),
  buildBackend: s.string(),
  buildTarget: s.nullable(s.string()),
  priorityCoefficient: s.number({ minimum: 0 }),
  pollIntervalSeconds: s.integer({ minimum: 60 }),
  paused: s.boolean(),
};
const collectionSchema = s.object({
  name: s.string(), format: s.enum(collectionFormats), ...collectionSettings, state: s.enum(['new', 'ok', 'unresolved', 'error']),
  lastError: s.nullable(s.string()), currentSnapshotId: s.nullable(s.integer()), regenerateRequestedAt: s.nullable(s.dateTime()),
});
const stateSchema = s.enum(packageStates);
const packageSummarySchema = s.object({
  collection: s.string(), name: s.string(), state: stateSchema, stateSince: s.dateTime(), resolved: s.nullable(s.boolean()), tracked: s.boolean(),
  blocked: s.boolean(), manualPriority: s.integer(), staticPriority: s.integer(), snoozeUntil: s.nullable(s.dateTime()),
});
const binarySchema = s.object({ name: s.string(), epoch: s.integer(), version: s.string(), release: s.string(), arch: s.string(), evr: s.string(), nevra: s.string() });
const changeSchema = s.object({ dependency: s.string(), kind: s.enum(['added', 'removed', 'upgraded', 'downgraded']), distance: s.nullable(s.integer()), previous: s.nullable(binarySchema), current: s.nullable(binarySchema) });
const flagsSchema = s.object({
  tracked: s.boolean(), blocked: s.boolean(), archOverride: s.nullable(s.array(s.string())), manualPriority: s.integer(), staticPriority: s.integer(),
  snoozeUntil: s.nullable(s.dateTime()),
});
const groupSchema = s.object({ namespace: s.nullable(s.string()), name: s.string(), description: s.string(), members: s.array(s.string()), maintainers: s.array(s.string()) });
const namesBody = s.object({ packages: s.array(s.string(), { minItems: 1 }) }, ['packages']);
const diffSchema = s.array(s.object({ name: s.string(), state: s.object({}, [], { additionalProperties: stateSchema }) }));

const collectionParam = { name: 'collection name (slug)' };
const collectionName = (c: Context<AppEnv>, param = 'name') => pathParam(c, param, { max: 64 });
const groupParams = { ns: `owner's user name, or '${globalNamespace}'`, name: 'group name' };
const groupRef = (c: Context<AppEnv>): GroupRef => parseGroupRef(`${pathParam(c, 'ns')}/${pathParam(c, 'name')}`, 'name');
const bodyPackages = async (c: Context<AppEnv>) => (await readJsonBody(c)).packages;
const queryNumber = (c: Context<AppEnv>, name: string, rules: { min: number; max: number }) => {
  const text = queryString(c, name, { max: 20, pattern: /^\d+(\.\d+)?$/, patternText: 'a decimal number' });
  return text === undefined ? undefined : expectNumber(Number(text), name, rules);
};

export function registerCollectionRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'get', path: '/api/collections', tag: 'collections', summary: 'List collections',
    response: s.array(collectionSchema),
    handler: async (c) => c.json((await listCollections(c.var.db)).map(collectionView)),
  });
  routes.add({
    method: 'post', path: '/api/collections', tag: 'collections', summary: 'Create a collection', scope: 'admin', status: 201,
    body: s.object({ name: s.string({ pattern: '^[a-z0-9][a-z0-9._-]*$' }), format: s.enum(collectionFormats), ...collectionSettings }, ['name', 'format', 'sources']),
    response: collectionSchema,
    handler: async (c) => c.json(collectionView(await createCollection(c.var.db, await readJsonBody(c))), 201),
  });
  // Registered before /api/collections/:c/... so that a collection named 'diff' cannot shadow it.
  routes.add({
    method: 'get', path: '/api/collections/diff/:c1/:c2', tag: 'collections', summary: 'Packages present in both collections whose states differ',
    pathParameters: { c1: 'first collection', c2: 'second collection' },
    response: s.object({ collections: s.array(s.string()), packages: diffSchema }),
    handler: async (c) => {
      const [c1, c2] = [collectionName(c, 'c1'), collectionName(c, 'c2')];
      return c.json({ collections: [c1, c2], packages: await diffCollections(c.var.db, c1, c2) });
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:name', tag: 'collections', summary: 'A collection with its package counts by state', pathParameters: collectionParam,
    response: s.object({ ...(collectionSchema.properties as object), packageCounts: s.object({}, [], { additionalProperties: s.integer() }) }),
    handler: async (c) => {
      const collection = await getCollection(c.var.db, collectionName(c));
      return c.json({ ...collectionView(collection), packageCounts: await collectionStateCounts(c.var.db, collection.id) });
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:name/history', tag: 'collections',
    summary: 'Package counts by state and build queue length over time (from state changes and build times), for charts',
    pathParameters: collectionParam,
    query: [
      { name: 'hours', schema: s.number({ minimum: 0.0001, maximum: 8760 }), description: 'how far back, in hours (default 168: a week; 0.25 = 15 minutes)' },
      { name: 'points', schema: s.integer({ minimum: 1, maximum: 500 }), description: 'intervals; points + 1 samples are returned (default 84)' },
    ],
    response: s.object({
      collection: s.string(), from: s.dateTime(), to: s.dateTime(), stepSeconds: s.number(),
      points: s.array(s.object({ at: s.dateTime(), states: s.object({}, [], { additionalProperties: s.integer() }), queued: s.integer(), running: s.integer() })),
    }),
    handler: async (c) => c.json(await collectionHistory(c.var.db, collectionName(c), {
      hours: queryNumber(c, 'hours', { min: 0.0001, max: 8760 }) ?? 168,
      points: queryInteger(c, 'points', { min: 1, max: 500 }) ?? 84,
    })),
  });
  routes.add({
    method: 'patch', path: '/api/collections/:name', tag: 'collections', summary: 'Change collection settings (name and format are fixed)', scope: 'admin',
    pathParameters: collectionParam, body: s.object(collectionSettings), response: collectionSchema,
    handler: async (c) => c.json(collectionView(await updateCollection(c.var.db, collectionName(c), await readJsonBody(c)))),
  });
  routes.add({
    method: 'delete', path: '/api/collections/:name', tag: 'collections', summary: 'Delete a collection with its packages and history', scope: 'admin',
    pathParameters: collectionParam, response: s.object({ deleted: s.string() }),
    handler: async (c) => {
      const name = collectionName(c);
      await deleteCollection(c.var.db, name);
      return c.json({ deleted: name });
    },
  });
  routes.add({
    method: 'post', path: '/api/collections/:name/regenerate', tag: 'collections', summary: 'Ask the watcher to poll and re-resolve at its next tick', scope: 'admin',
    pathParameters: collectionParam, response: collectionSchema,
    handler: async (c) => c.json(collectionView(await requestRegeneration(c.var.db, collectionName(c)))),
  });
  routes.add({
    method: 'post', path: '/api/collections/:name/packages', tag: 'packages', summary: 'Add packages (by source name) to a collection', scope: 'maintainer',
    pathParameters: collectionParam, body: namesBody, response: s.object({ added: s.array(s.string()), existing: s.array(s.string()) }),
    handler: async (c) => c.json(await addPackages(c.var.db, collectionName(c), await bodyPackages(c))),
  });
  routes.add({
    method: 'get', path: '/api/packages', tag: 'packages', summary: 'Search packages across collections',
    query: [
      { name: 'collection', schema: s.string(), description: 'collection name', repeatable: true },
      { name: 'state', schema: stateSchema, description: 'package state', repeatable: true },
      { name: 'group', schema: s.string(), description: `group as namespace/name, or name for a global group` },
      { name: 'name', schema: s.string(), description: 'package name; * is a wildcard' },
      { name: 'resolved', schema: s.boolean(), description: 'only (un)resolved packages' },
      { name: 'sort', schema: s.enum(packageSorts), description: 'name (default), state_since (newest first) or priority (highest first)' },
      { name: 'page', schema: s.integer({ minimum: 1 }), description: 'page number, from 1' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000 }), description: 'page size (default 100)' },
    ],
    response: s.object({ total: s.integer(), page: s.integer(), limit: s.integer(), items: s.array(packageSummarySchema) }),
    handler: async (c) => {
      const group = queryString(c, 'group', { max: 2 * maxName + 1 });
      const name = queryString(c, 'name', { pattern: /^[A-Za-z0-9._+~^*-]+$/, patternText: 'a package name, * as wildcard' });
      return c.json(await listPackages(c.var.db, {
        collections: queryList(c, 'collection'),
        states: queryList(c, 'state').map((v) => { if (!packageStates.includes(v as never)) throw invalidInput('state', `state must be one of ${packageStates.join(', ')}, got '${v}'`); return v as never; }),
        group: group === undefined ? undefined : parseGroupRef(group),
        name,
        resolved: queryBoolean(c, 'resolved'),
        sort: queryEnum(c, 'sort', packageSorts),
        page: queryInteger(c, 'page', { min: 1, max: 1_000_000 }),
        limit: queryInteger(c, 'limit', { min: 1, max: 1000 }),
      }));
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:collection/packages/:name', tag: 'packages',
    summary: 'Package detail: flags, state, current resolution with decoded buildroot, dependency changes, resolution and state history',
    pathParameters: { collection: 'collection name', name: 'package name' },
    response: s.object({
      collection: s.string(), name: s.string(), flags: flagsSchema, state: stateSchema, stateSince: s.dateTime(), stateSnapshotSequence: s.nullable(s.integer()),
      resolution: s.nullable(s.object({ resolved: s.boolean(), problems: s.array(s.string()), rootCause: s.any(), buildroot: s.array(s.object({ ...(binarySchema.properties as object), distance: s.nullable(s.integer()), base: s.boolean() })) })),
      dependencyChanges: s.object({ previousResolution: s.array(changeSchema), lastBuild: s.array(changeSchema) }),
      resolutionHistory: s.array(s.object({ snapshotSequence: s.integer(), resolved: s.boolean(), problems: s.array(s.string()), at: s.dateTime() })),
      stateHistory: s.array(s.object({ previousState: s.nullable(stateSchema), state: stateSchema, reason: s.string(), at: s.dateTime(), snapshotSequence: s.nullable(s.integer()) })),
    }),
    handler: async (c) => c.json(await packageDetail(c.var.db, collectionName(c, 'collection'), pathParam(c, 'name'))),
  });
  routes.add({
    method: 'patch', path: '/api/collections/:collection/packages/:name', tag: 'packages', summary: 'Set package flags', scope: 'maintainer',
    pathParameters: { collection: 'collection name', name: 'package name' },
    body: s.object({ tracked: s.boolean(), blocked: s.boolean(), archOverride: s.nullable(s.array(s.string())), manualPriority: s.integer(), staticPriority: s.integer(), snoozeUntil: s.nullable(s.dateTime()) }),
    response: flagsSchema,
    handler: async (c) => {
      const p = await setPackageFlags(c.var.db, collectionName(c, 'collection'), pathParam(c, 'name'), await readJsonBody(c));
      return c.json({ tracked: p.tracked, blocked: p.blocked, archOverride: p.arch_override, manualPriority: p.manual_priority, staticPriority: p.static_priority, snoozeUntil: p.snooze_until });
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:collection/affected-by/:dependency', tag: 'packages',
    summary: 'Packages whose buildroot saw this dependency move across [from, to], with their next state change',
    pathParameters: { collection: 'collection name', dependency: 'binary package name' },
    query: [
      { name: 'from', schema: s.string(), description: 'lower [epoch:]version[-release]' },
      { name: 'to', schema: s.string(), description: 'upper [epoch:]version[-release]' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 5000 }), description: 'most rows returned (default 500)' },
    ],
    response: s.object({ total: s.integer(), items: s.array(s.object({ package: s.string(), snapshotSequence: s.integer(), kind: s.string(), previous: s.nullable(binarySchema), current: s.nullable(binarySchema), next: s.nullable(s.object({ state: stateSchema, at: s.dateTime() })) })) }),
    handler: async (c) => {
      const evr = { max: 256, pattern: /^[A-Za-z0-9.+~^:_-]+$/, patternText: 'a version such as 1:2.3-4' };
      return c.json(await affectedBy(c.var.db, collectionName(c, 'collection'), {
        dependency: expectPackageName(pathParam(c, 'dependency'), 'dependency'),
        from: queryString(c, 'from', evr),
        to: queryString(c, 'to', evr),
        limit: queryInteger(c, 'limit', { min: 1, max: 5000 }),
      }));
    },
  });
  routes.add({
    method: 'get', path: '/api/collections/:collection/reverse-dependencies/:binary', tag: 'packages',
    summary: 'Packages whose current buildroot contains a binary of this name, nearest first',
    pathParameters: { collection: 'collection name', binary: 'binary package name' },
    response: s.object({ total: s.integer(), items: s.array(s.object({ package: s.string(), distance: s.nullable(s.integer()), base: s.boolean(), binary: binarySchema })) }),
    handler: async (c) => c.json(await reverseDependencies(c.var.db, collectionName(c, 'collection'), expectPackageName(pathParam(c, 'binary'), 'binary'))),
  });

  routes.add({
    method: 'get', path: '/badge/:collection/:file', tag: 'packages', summary: "SVG badge of a package's state: /badge/<collection>/<package>.svg",
    pathParameters: { collection: 'collection name', file: '<package>.svg' },
    response: s.string({ contentMediaType: 'image/svg+xml' }),
    handler: async (c) => {
      const collection = collectionName(c, 'collection');
      const file = pathParam(c, 'file', { max: 260, pattern: /^[A-Za-z0-9][A-Za-z0-9._+~^-]*\.svg$/, patternText: 'a package name followed by .svg' });
      const row = await c.var.db.selectFrom('packages').innerJoin('collections', 'collections.id', 'packages.collection_id').select('packages.state')
        .where('collections.name', '=', collection).where('packages.name', '=', file.slice(0, -4)).executeTakeFirst();
      // A badge is embedded in other sites' pages: an unknown package still draws (grey), with a 404 status.
      return c.body(stateBadge(collection, row?.state ?? 'not found'), row ? 200 : 404, { 'content-type': 'image/svg+xml; charset=utf-8', 'cache-control': 'no-cache, max-age=0' });
    },
  });

  // Groups
  routes.add({
    method: 'get', path: '/api/groups', tag: 'groups', summary: 'List package groups',
    query: [
      { name: 'namespace', schema: s.string(), description: `owner's user name, or '${globalNamespace}'` },
      { name: 'package', schema: s.string(), description: 'only groups containing this package' },
    ],
    response: s.array(s.object({ namespace: s.nullable(s.string()), name: s.string(), description: s.string() })),
    handler: async (c) => {
      const namespace = queryString(c, 'namespace');
      const pkg = queryString(c, 'package');
      return c.json(await listGroups(c.var.db, {
        namespace: namespace === globalNamespace ? null : namespace,
        package: pkg === undefined ? undefined : expectPackageName(pkg, 'package'),
      }));
    },
  });
  routes.add({
    method: 'post', path: '/api/groups', tag: 'groups', summary: `Create a group (own namespace; '${globalNamespace}' or others' need admin)`, scope: 'maintainer', status: 201,
    body: s.object({ namespace: s.string(), name: s.string(), description: s.string(), packages: s.array(s.string()), maintainers: s.array(s.string()) }, ['name']),
    response: groupSchema,
    handler: async (c) => c.json(await createGroup(c.var.db, caller(c), await readJsonBody(c)), 201),
  });
  routes.add({
    method: 'get', path: '/api/groups/:ns/:name', tag: 'groups', summary: "A group with its members' states across collections", pathParameters: groupParams,
    response: s.object({ ...(groupSchema.properties as object), packages: s.array(s.object({ name: s.string(), states: s.object({}, [], { additionalProperties: s.object({ state: stateSchema, since: s.dateTime() }) }) })) }),
    handler: async (c) => {
      const group = await getGroup(c.var.db, groupRef(c));
      return c.json({ ...group, packages: await groupPackageStates(c.var.db, group.members) });
    },
  });
  routes.add({
    method: 'patch', path: '/api/groups/:ns/:name', tag: 'groups', summary: 'Change description or maintainers (owner, maintainer or admin)', scope: 'maintainer',
    pathParameters: groupParams, body: s.object({ description: s.string(), maintainers: s.array(s.string()) }), response: groupSchema,
    handler: async (c) => c.json(await updateGroup(c.var.db, caller(c), groupRef(c), await readJsonBody(c))),
  });
  routes.add({
    method: 'delete', path: '/api/groups/:ns/:name', tag: 'groups', summary: 'Delete a group (owner, maintainer or admin)', scope: 'maintainer',
    pathParameters: groupParams, response: s.object({ deleted: s.string() }),
    handler: async (c) => {
      const ref = groupRef(c);
      await deleteGroup(c.var.db, caller(c), ref);
      return c.json({ deleted: groupLabel(ref) });
    },
  });
  routes.add({
    method: 'post', path: '/api/groups/:ns/:name/members', tag: 'groups', summary: 'Add member packages', scope: 'maintainer',
    pathParameters: groupParams, body: namesBody, response: groupSchema,
    handler: async (c) => c.json(await addGroupMembers(c.var.db, caller(c), groupRef(c), await bodyPackages(c))),
  });
  routes.add({
    method: 'delete', path: '/api/groups/:ns/:name/members', tag: 'groups', summary: 'Remove member packages (?package=a&package=b)', scope: 'maintainer',
    pathParameters: groupParams, query: [{ name: 'package', schema: s.string(), description: 'package to remove', repeatable: true }], response: groupSchema,
    handler: async (c) => {
      const names = expectArray(queryList(c, 'package', 10_000), 'package', expectPackageName, { min: 1 });
      return c.json(await removeGroupMembers(c.var.db, caller(c), groupRef(c), names));
    },
  });

  // Koschei-compatible JSON API
  routes.add({
    method: 'get', path: '/api/v1/packages', tag: 'koschei', summary: 'Koschei-compatible package list: [{name, collection, state, last_complete_build}]',
    query: [
      { name: 'collection', schema: s.string(), description: 'collection name', repeatable: true },
      { name: 'name', schema: s.string(), description: 'package name', repeatable: true },
    ],
    response: s.array(s.object({ name: s.string(), collection: s.string(), state: stateSchema, last_complete_build: s.nullable(s.object({ task_id: s.integer(), time_started: s.string(), time_finished: s.string(), epoch: s.nullable(s.integer()), version: s.string(), release: s.string() })) })),
    handler: async (c) => c.json(await koscheiPackages(c.var.db, queryList(c, 'collection', 1000), queryList(c, 'name', 10_000))),
  });
  routes.add({
    method: 'get', path: '/api/v1/collections/diff/:c1/:c2', tag: 'koschei', summary: 'Koschei-compatible diff: [{name, state: {c1: s1, c2: s2}}]',
    pathParameters: { c1: 'first collection', c2: 'second collection' },
    response: diffSchema,
    handler: async (c) => c.json(await diffCollections(c.var.db, collectionName(c, 'c1'), collectionName(c, 'c2'))),
  });
}
