/**
 * Collections, their packages' flags, and package groups: the rules and every write. Shared by
 * the HTTP routes and the CLI. Inputs arrive as `unknown` (JSON bodies, CLI flags) and are
 * validated here, errors naming the field. Each change appends its event in the same transaction.
 */
import { sql } from 'kysely';
import { withTransaction, type Db, type Trx } from '../db/database.ts';
import type { Collection, CollectionFormat, Package, PackageGroup } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput, notFound } from '../errors.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import { REGENERATE_CHANNEL } from '../repos/watcher.ts';
import { packageState } from '../resolution/package-state.ts';
import {
  expectArray, expectBoolean, expectDate, expectEnum, expectInteger, expectKeys, expectNumber, expectObject, expectPackageName,
  expectString, maxName, nullable, optional, type JsonObject,
} from '../http/validation.ts';
import type { AuthContext } from '../users/service.ts';

export const collectionFormats: readonly CollectionFormat[] = ['rpm-md', 'debian'];
const slug = { max: 64, pattern: /^[a-z0-9][a-z0-9._-]*$/, patternText: 'lowercase letters, digits, . _ and -, starting with a letter or digit' };
const groupName = { max: maxName, pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/, patternText: 'letters, digits, . _ + and -' };
/** The namespace segment of global groups in URLs and filters (`global/build-tools`); no user may take this name. */
export const globalNamespace = 'global';

// Collection settings ---------------------------------------------------------------------------

export interface SourceSpec {
  url: string;
  suite?: string;
  components?: string[];
}
export type BaseBuildrootSpec = { group: string } | { packages: string[]; essential?: boolean };
export interface ResolverOptionsSpec {
  weakDependencies?: boolean;
  firstAlternativeOnly?: boolean;
  profiles?: string[];
  includeIndep?: boolean;
}

function expectSource(value: unknown, field: string): SourceSpec {
  const object = expectObject(value, field);
  expectKeys(object, ['url', 'suite', 'components'], field);
  const url = expectString(object.url, `${field}.url`, { min: 1, max: 2048 });
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalidInput(`${field}.url`, `${field}.url '${url.slice(0, 80)}' is not a valid URL`);
    }
    if (!['file:', 'http:', 'https:'].includes(parsed.protocol)) {
      throw invalidInput(`${field}.url`, `${field}.url must be a path or a file://, http:// or https:// URL, got ${parsed.protocol}//`);
    }
  }
  const suite = optional(object, 'suite', (v, f) => expectString(v, f, { min: 1, max: maxName }), field);
  const components = optional(object, 'components', (v, f) => expectArray(v, f, (c, cf) => expectString(c, cf, { min: 1, max: maxName }), { max: 50 }), field);
  return { url, ...(suite !== undefined ? { suite } : {}), ...(components !== undefined ? { components } : {}) };
}

const expectNames = (value: unknown, field: string) => expectArray(value, field, expectPackageName, { max: 10_000 });

function expectBaseBuildroot(value: unknown, field: string, format: CollectionFormat): BaseBuildrootSpec {
  const object = expectObject(value, field);
  if ('group' in object) {
    expectKeys(object, ['group'], field);
    if (format !== 'rpm-md') throw invalidInput(`${field}.group`, `${field}.group (a comps group) needs an rpm-md collection; use {"packages": [...], "essential": true} for Debian`);
    return { group: expectString(object.group, `${field}.group`, { min: 1, max: maxName }) };
  }
  expectKeys(object, ['packages', 'essential'], field);
  if (object.packages === undefined) throw invalidInput(`${field}.packages`, `${field} must be {"group": name} or {"packages": [...], "essential"?: boolean}`);
  const packages = expectNames(object.packages, `${field}.packages`);
  const essential = optional(object, 'essential', expectBoolean, field);
  return essential === undefined ? { packages } : { packages, essential };
}

function expectResolverOptions(value: unknown, field: string): ResolverOptionsSpec {
  const object = expectObject(value, field);
  expectKeys(object, ['weakDependencies', 'firstAlternativeOnly', 'profiles', 'includeIndep'], field);
  const options: ResolverOptionsSpec = {};
  for (const key of ['weakDependencies', 'firstAlternativeOnly', 'includeIndep'] as const) {
    const flag = optional(object, key, expectBoolean, field);
    if (flag !== undefined) options[key] = flag;
  }
  const profiles = optional(object, 'profiles', (v, f) => expectArray(v, f, (p, pf) => expectString(p, pf, { min: 1, max: 64, pattern: /^[a-z0-9][a-z0-9.+-]*$/, patternText: 'lowercase profile names such as nocheck' }), { max: 50 }), field);
  if (profiles !== undefined) options.profiles = profiles;
  return options;
}

const architecture = (v: unknown, f: string) => expectString(v, f, { min: 1, max: 32, pattern: /^[a-z0-9_]+$/, patternText: 'an architecture such as x86_64 or amd64' });

/** Column values from a create (all required fields) or update (only the given ones) body. */
function collectionColumns(body: JsonObject, format: CollectionFormat, creating: boolean): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const set = <T>(key: string, column: string, read: (v: unknown, f: string) => T, encode: (v: T) => unknown = (v) => v) => {
    const value = optional(body, key, read);
    if (value !== undefined) columns[column] = encode(value);
  };
  set('displayName', 'display_name', (v, f) => expectString(v, f, { min: 1, max: maxName }));
  set('sources', 'sources', (v, f) => expectArray(v, f, expectSource, { min: 1, max: 32 }), JSON.stringify);
  set('architectures', 'architectures', (v, f) => expectArray(v, f, architecture, { max: 16 }));
  set('baseBuildroot', 'base_buildroot', (v, f) => expectBaseBuildroot(v, f, format), JSON.stringify);
  set('resolverOptions', 'resolver_options', expectResolverOptions, JSON.stringify);
  set('buildBackend', 'build_backend', (v, f) => expectString(v, f, { min: 1, max: 64, pattern: /^[a-z0-9-]+$/, patternText: 'a backend name such as simulation or koji' }));
  set('buildTarget', 'build_target', nullable((v, f) => expectString(v, f, { min: 1, max: maxName })));
  set('priorityCoefficient', 'priority_coefficient', (v, f) => expectNumber(v, f, { min: 0, max: 1e6 }));
  set('pollIntervalSeconds', 'poll_interval_seconds', (v, f) => expectInteger(v, f, { min: 60, max: 366 * 86400 }));
  set('paused', 'paused', expectBoolean);
  if (creating && columns.sources === undefined) throw invalidInput('sources', 'sources is required: a non-empty array of {"url": ...}');
  return columns;
}

const collectionKeys = ['displayName', 'sources', 'architectures', 'baseBuildroot', 'resolverOptions', 'buildBackend', 'buildTarget', 'priorityCoefficient', 'pollIntervalSeconds', 'paused'];

export async function getCollection(db: Db, name: string): Promise<Collection> {
  const row = await db.selectFrom('collections').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('collection', name);
  return row;
}

export function listCollections(db: Db): Promise<Collection[]> {
  return db.selectFrom('collections').selectAll().orderBy('name').execute();
}

/** Creates a collection from `{name, format, sources, ...}` (see collectionKeys for the rest). */
export async function createCollection(db: Db, input: unknown): Promise<Collection> {
  const body = expectObject(input, 'body');
  expectKeys(body, ['name', 'format', ...collectionKeys], '');
  const name = expectString(body.name, 'name', slug);
  const format = expectEnum(body.format, 'format', collectionFormats);
  const columns = collectionColumns(body, format, true);
  return withTransaction(db, async (trx) => {
    const taken = await trx.selectFrom('collections').select('id').where('name', '=', name).executeTakeFirst();
    if (taken) throw new RippleError(ErrorCode.Conflict, `collection '${name}' already exists`, { field: 'name' });
    const row = await trx
      .insertInto('collections')
      .values({ name, format, display_name: name, ...columns } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendEvents(trx, [{ type: 'collection.change', collectionId: row.id, payload: { action: 'created', collection: name, settings: body } }]);
    return row;
  });
}

/** Changes the given settings; name and format are fixed for a collection's life. */
export async function updateCollection(db: Db, name: string, input: unknown): Promise<Collection> {
  const body = expectObject(input, 'body');
  for (const fixed of ['name', 'format']) {
    if (fixed in body) throw invalidInput(fixed, `${fixed} cannot be changed; create a new collection instead`);
  }
  expectKeys(body, collectionKeys, '');
  return withTransaction(db, async (trx) => {
    const before = await lockCollection(trx, name);
    const columns = collectionColumns(body, before.format, false);
    if (Object.keys(columns).length === 0) return before;
    const after = await trx
      .updateTable('collections')
      .set({ ...columns, updated_at: sql<Date>`now()` } as never)
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const changes = Object.fromEntries(Object.keys(columns).map((c) => [c, { old: before[c as keyof Collection], new: after[c as keyof Collection] }]));
    await appendEvents(trx, [{ type: 'collection.change', collectionId: before.id, payload: { action: 'updated', collection: name, changes } }]);
    return after;
  });
}

/** Deletes a collection with its snapshots, packages and history (events stay: they outlive it). */
export async function deleteCollection(db: Db, name: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    const row = await lockCollection(trx, name);
    await trx.deleteFrom('collections').where('id', '=', row.id).execute();
    await appendEvents(trx, [{ type: 'collection.change', collectionId: row.id, payload: { action: 'deleted', collection: name } }]);
  });
}

/** Asks the watcher to poll and re-resolve at its next tick, whatever the poll interval. */
export async function requestRegeneration(db: Db, name: string): Promise<Collection> {
  return withTransaction(db, async (trx) => {
    const row = await lockCollection(trx, name);
    const after = await markForRegeneration(trx, row.id);
    await appendEvents(trx, [{ type: 'collection.change', collectionId: row.id, payload: { action: 'regenerate_requested', collection: name } }]);
    return after;
  });
}

/** Asks the watchers to look at the collection now; the NOTIFY wakes them when the transaction commits. */
async function markForRegeneration(trx: Trx, collectionId: number): Promise<Collection> {
  const after = await trx
    .updateTable('collections')
    .set({ regenerate_requested_at: sql<Date>`coalesce(regenerate_requested_at, now())` })
    .where('id', '=', collectionId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await sql`select pg_notify(${REGENERATE_CHANNEL}, ${String(collectionId)})`.execute(trx);
  return after;
}

async function lockCollection(trx: Trx, name: string): Promise<Collection> {
  const row = await trx.selectFrom('collections').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
  if (!row) throw notFound('collection', name);
  return row;
}

// Packages --------------------------------------------------------------------------------------

/**
 * Adds packages by name (the CLI expands "all sources of the current snapshot" into names).
 * Existing ones are left alone. Returns which names were new.
 */
export async function addPackages(db: Db, collectionName: string, names: unknown): Promise<{ added: string[]; existing: string[] }> {
  const wanted = [...new Set(expectArray(names, 'packages', expectPackageName, { min: 1, max: 100_000 }))];
  return withTransaction(db, async (trx) => {
    const collection = await lockCollection(trx, collectionName);
    const added: string[] = [];
    // Chunks keep each statement well under PostgreSQL's 65535 bind parameters.
    for (let i = 0; i < wanted.length; i += 5000) {
      const rows = await trx
        .insertInto('packages')
        .values(wanted.slice(i, i + 5000).map((name) => ({ collection_id: collection.id, name })))
        .onConflict((oc) => oc.columns(['collection_id', 'name']).doNothing())
        .returning('name')
        .execute();
      added.push(...rows.map((r) => r.name));
    }
    const addedSet = new Set(added);
    if (added.length) {
      // New packages are resolved by the next ingest (only they are solved; the rest carry over).
      await markForRegeneration(trx, collection.id);
      await appendEvents(trx, [{ type: 'collection.change', collectionId: collection.id, payload: { action: 'packages_added', collection: collectionName, count: added.length, packages: added.slice(0, 1000) } }]);
    }
    return { added: added.sort(), existing: wanted.filter((n) => !addedSet.has(n)).sort() };
  });
}

const flagColumns = {
  tracked: { column: 'tracked', read: expectBoolean },
  blocked: { column: 'blocked', read: expectBoolean },
  archOverride: { column: 'arch_override', read: nullable((v, f) => expectArray(v, f, architecture, { min: 1, max: 16 })) },
  manualPriority: { column: 'manual_priority', read: (v: unknown, f: string) => expectInteger(v, f, { min: -1_000_000, max: 1_000_000 }) },
  staticPriority: { column: 'static_priority', read: (v: unknown, f: string) => expectInteger(v, f, { min: -1_000_000, max: 1_000_000 }) },
  snoozeUntil: { column: 'snooze_until', read: nullable(expectDate) },
} as const;
export type PackageFlag = keyof typeof flagColumns;

/**
 * Sets flags `{tracked?, blocked?, archOverride?, manualPriority?, staticPriority?, snoozeUntil?}`.
 * The package's state follows at the next resolution (the state rules live with the ingest).
 */
export async function setPackageFlags(db: Db, collectionName: string, packageName: string, input: unknown): Promise<Package> {
  const body = expectObject(input, 'body');
  expectKeys(body, Object.keys(flagColumns), '');
  const columns: Record<string, unknown> = {};
  for (const [key, { column, read }] of Object.entries(flagColumns)) {
    const value = optional(body, key, read as (v: unknown, f: string) => unknown);
    if (value !== undefined) columns[column] = value;
  }
  if (Object.keys(columns).length === 0) throw invalidInput('body', `no flag given; set one of ${Object.keys(flagColumns).join(', ')}`);
  return withTransaction(db, async (trx) => {
    const collection = await getCollection(trx, collectionName);
    const before = await trx.selectFrom('packages').selectAll().where('collection_id', '=', collection.id).where('name', '=', packageName).forUpdate().executeTakeFirst();
    if (!before) throw notFound('package', `${collectionName}/${packageName}`);
    let after = await trx.updateTable('packages').set(columns as never).where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
    const changes = Object.fromEntries(Object.keys(columns).map((c) => [c, { old: before[c as keyof Package], new: after[c as keyof Package] }]));
    const events: NewEvent[] = [{ type: 'package.change', collectionId: collection.id, packageName, payload: { collection: collectionName, changes } }];
    // Blocking, unblocking, tracking and untracking change the state at once (Koschei's first-match rules).
    const state = packageState({ blocked: after.blocked, tracked: after.tracked, resolved: after.resolved, previous: before.state });
    if (state !== before.state) {
      after = await trx.updateTable('packages').set({ state, state_since: new Date(), state_snapshot_id: collection.current_snapshot_id })
        .where('id', '=', before.id).returningAll().executeTakeFirstOrThrow();
      const reason = `flags changed: ${Object.keys(changes).join(', ')}`;
      await trx.insertInto('package_state_changes').values({ package_id: before.id, snapshot_id: collection.current_snapshot_id, previous_state: before.state, state, reason }).execute();
      const groups = (await listGroups(trx, { package: packageName })).map((g) => groupLabel({ namespace: g.namespace, name: g.name }));
      events.push({ type: 'package.state.change', collectionId: collection.id, packageName, payload: {
        collection: collectionName, collection_id: collection.id, name: packageName, old: before.state, new: state, collection_name: collectionName, groups, reason,
      } });
    }
    if ((after.tracked && !after.blocked) && !(before.tracked && !before.blocked) && after.last_resolution_id === null) await markForRegeneration(trx, collection.id);
    await appendEvents(trx, events);
    return after;
  });
}

// Groups ----------------------------------------------------------------------------------------

export interface GroupRef {
  /** Owner's user name, or null for the global namespace. */
  namespace: string | null;
  name: string;
}

/** Parses `namespace/name`, `global/name` or a bare global `name`. */
export function parseGroupRef(text: string, field = 'group'): GroupRef {
  const parts = text.split('/');
  if (parts.length > 2) throw invalidInput(field, `${field} must be 'name' or 'namespace/name', got '${text.slice(0, 80)}'`);
  const [namespace, name] = parts.length === 2 ? parts : [globalNamespace, parts[0]];
  return {
    namespace: namespace === globalNamespace ? null : expectString(namespace, field, { min: 1, max: maxName }),
    name: expectString(name, field, { min: 1, ...groupName }),
  };
}

export const groupLabel = (ref: GroupRef) => `${ref.namespace ?? globalNamespace}/${ref.name}`;

export interface GroupDetail {
  id: number;
  namespace: string | null;
  name: string;
  description: string;
  createdAt: Date;
  members: string[];
  maintainers: string[];
}

export async function findGroup(db: Db, ref: GroupRef): Promise<PackageGroup> {
  let query = db.selectFrom('package_groups').selectAll('package_groups').where('package_groups.name', '=', ref.name);
  query = ref.namespace === null
    ? query.where('namespace_user_id', 'is', null)
    : query.innerJoin('users', 'users.id', 'package_groups.namespace_user_id').where('users.name', '=', ref.namespace);
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('group', groupLabel(ref));
  return row;
}

async function groupDetail(db: Db, group: PackageGroup): Promise<GroupDetail> {
  const [namespace, members, maintainers] = await Promise.all([
    group.namespace_user_id === null ? null : db.selectFrom('users').select('name').where('id', '=', group.namespace_user_id).executeTakeFirstOrThrow().then((u) => u.name),
    db.selectFrom('package_group_members').select('package_name').where('group_id', '=', group.id).orderBy('package_name').execute(),
    db.selectFrom('package_group_maintainers').innerJoin('users', 'users.id', 'package_group_maintainers.user_id').select('users.name').where('group_id', '=', group.id).orderBy('users.name').execute(),
  ]);
  return {
    id: group.id,
    namespace,
    name: group.name,
    description: group.description,
    createdAt: group.created_at,
    members: members.map((m) => m.package_name),
    maintainers: maintainers.map((m) => m.name),
  };
}

export async function getGroup(db: Db, ref: GroupRef): Promise<GroupDetail> {
  return groupDetail(db, await findGroup(db, ref));
}

/** Groups, optionally of one namespace (`null` = global) or containing one package. */
export async function listGroups(db: Db, filter: { namespace?: string | null; package?: string } = {}): Promise<Omit<GroupDetail, 'members' | 'maintainers'>[]> {
  let query = db
    .selectFrom('package_groups')
    .leftJoin('users', 'users.id', 'package_groups.namespace_user_id')
    .select(['package_groups.id', 'package_groups.name', 'package_groups.description', 'package_groups.created_at', 'users.name as namespace']);
  if (filter.namespace === null) query = query.where('package_groups.namespace_user_id', 'is', null);
  else if (filter.namespace !== undefined) query = query.where('users.name', '=', filter.namespace);
  if (filter.package !== undefined) {
    const member = filter.package;
    query = query.where((eb) => eb.exists(eb.selectFrom('package_group_members as m').select('m.group_id').whereRef('m.group_id', '=', 'package_groups.id').where('m.package_name', '=', member)));
  }
  const rows = await query.orderBy('users.name', (o) => o.nullsFirst()).orderBy('package_groups.name').execute();
  return rows.map((r) => ({ id: r.id, namespace: r.namespace, name: r.name, description: r.description, createdAt: r.created_at }));
}

/** Who may change a group: admins; in a user namespace also its owner and its maintainers. */
async function assertCanEdit(db: Db, actor: AuthContext | null, group: PackageGroup): Promise<void> {
  if (actor === null || actor.scopes.includes('admin')) return;
  if (group.namespace_user_id === actor.user.id) return;
  const maintainer = await db.selectFrom('package_group_maintainers').select('user_id').where('group_id', '=', group.id).where('user_id', '=', actor.user.id).executeTakeFirst();
  if (!maintainer) throw new RippleError(ErrorCode.Forbidden, `user '${actor.user.name}' neither owns nor maintains this group`, {});
}

async function userIds(db: Db, names: string[], field: string): Promise<number[]> {
  if (names.length === 0) return [];
  const rows = await db.selectFrom('users').select(['id', 'name']).where('name', 'in', names).execute();
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length) throw invalidInput(field, `${field}: no user named ${missing.map((m) => `'${m}'`).join(', ')}`);
  return rows.map((r) => r.id);
}

const userNames = (v: unknown, f: string) => expectArray(v, f, (n, nf) => expectString(n, nf, { min: 1, max: maxName }), { max: 1000 });

/**
 * Creates a group from `{namespace?, name, description?, packages?, maintainers?}`. `actor` null
 * is the CLI (trusted). The namespace defaults to the actor's own; 'global' needs an admin.
 */
export async function createGroup(db: Db, actor: AuthContext | null, input: unknown): Promise<GroupDetail> {
  const body = expectObject(input, 'body');
  expectKeys(body, ['namespace', 'name', 'description', 'packages', 'maintainers'], '');
  const namespaceText = optional(body, 'namespace', (v, f) => expectString(v, f, { min: 1, max: maxName })) ?? actor?.user.name ?? globalNamespace;
  const ref: GroupRef = { namespace: namespaceText === globalNamespace ? null : namespaceText, name: expectString(body.name, 'name', { min: 1, ...groupName }) };
  const description = optional(body, 'description', expectString) ?? '';
  const packages = [...new Set(optional(body, 'packages', expectNames) ?? [])];
  const maintainers = [...new Set(optional(body, 'maintainers', userNames) ?? [])];
  if (actor && !actor.scopes.includes('admin') && ref.namespace !== actor.user.name) {
    throw new RippleError(ErrorCode.Forbidden, `only admins may create groups outside their own namespace '${actor.user.name}'`, { field: 'namespace' });
  }
  return withTransaction(db, async (trx) => {
    const owner = ref.namespace === null ? null : (await userIds(trx, [ref.namespace], 'namespace'))[0]!;
    let existing = trx.selectFrom('package_groups').select('id').where('name', '=', ref.name);
    existing = owner === null ? existing.where('namespace_user_id', 'is', null) : existing.where('namespace_user_id', '=', owner);
    if (await existing.executeTakeFirst()) throw new RippleError(ErrorCode.Conflict, `group '${groupLabel(ref)}' already exists`, { field: 'name' });
    const group = await trx.insertInto('package_groups').values({ namespace_user_id: owner, name: ref.name, description }).returningAll().executeTakeFirstOrThrow();
    const maintainerIds = await userIds(trx, maintainers, 'maintainers');
    if (actor && !maintainerIds.includes(actor.user.id)) maintainerIds.push(actor.user.id);
    if (packages.length) await trx.insertInto('package_group_members').values(packages.map((package_name) => ({ group_id: group.id, package_name }))).execute();
    if (maintainerIds.length) await trx.insertInto('package_group_maintainers').values(maintainerIds.map((user_id) => ({ group_id: group.id, user_id }))).execute();
    await appendEvents(trx, [{ type: 'group.change', payload: { action: 'created', group: groupLabel(ref), packages, maintainers } }]);
    return groupDetail(trx, group);
  });
}

/** Changes `{description?, maintainers?}` (maintainers replaces the whole list). */
export async function updateGroup(db: Db, actor: AuthContext | null, ref: GroupRef, input: unknown): Promise<GroupDetail> {
  const body = expectObject(input, 'body');
  expectKeys(body, ['description', 'maintainers'], '');
  const description = optional(body, 'description', expectString);
  const maintainers = optional(body, 'maintainers', userNames);
  return withTransaction(db, async (trx) => {
    const group = await findGroup(trx, ref);
    await assertCanEdit(trx, actor, group);
    if (description !== undefined) await trx.updateTable('package_groups').set({ description }).where('id', '=', group.id).execute();
    if (maintainers !== undefined) await replaceMaintainers(trx, group.id, await userIds(trx, [...new Set(maintainers)], 'maintainers'));
    await appendEvents(trx, [{ type: 'group.change', payload: { action: 'updated', group: groupLabel(ref), ...(description !== undefined ? { description } : {}), ...(maintainers !== undefined ? { maintainers } : {}) } }]);
    return groupDetail(trx, { ...group, description: description ?? group.description });
  });
}

async function replaceMaintainers(trx: Trx, groupId: number, ids: number[]): Promise<void> {
  await trx.deleteFrom('package_group_maintainers').where('group_id', '=', groupId).execute();
  if (ids.length) await trx.insertInto('package_group_maintainers').values(ids.map((user_id) => ({ group_id: groupId, user_id }))).execute();
}

/** Replaces the maintainers of a group with the named users. */
export async function setGroupMaintainers(db: Db, actor: AuthContext | null, ref: GroupRef, users: unknown): Promise<GroupDetail> {
  return updateGroup(db, actor, ref, { maintainers: users });
}

export async function deleteGroup(db: Db, actor: AuthContext | null, ref: GroupRef): Promise<void> {
  await withTransaction(db, async (trx) => {
    const group = await findGroup(trx, ref);
    await assertCanEdit(trx, actor, group);
    await trx.deleteFrom('package_groups').where('id', '=', group.id).execute();
    await appendEvents(trx, [{ type: 'group.change', payload: { action: 'deleted', group: groupLabel(ref) } }]);
  });
}

export async function addGroupMembers(db: Db, actor: AuthContext | null, ref: GroupRef, names: unknown): Promise<GroupDetail> {
  const packages = [...new Set(expectNames(names, 'packages'))];
  return withTransaction(db, async (trx) => {
    const group = await findGroup(trx, ref);
    await assertCanEdit(trx, actor, group);
    const added = packages.length === 0 ? [] : await trx
      .insertInto('package_group_members')
      .values(packages.map((package_name) => ({ group_id: group.id, package_name })))
      .onConflict((oc) => oc.columns(['group_id', 'package_name']).doNothing())
      .returning('package_name')
      .execute();
    if (added.length) await appendEvents(trx, [{ type: 'group.change', payload: { action: 'members_added', group: groupLabel(ref), packages: added.map((a) => a.package_name) } }]);
    return groupDetail(trx, group);
  });
}

export async function removeGroupMembers(db: Db, actor: AuthContext | null, ref: GroupRef, names: unknown): Promise<GroupDetail> {
  const packages = [...new Set(expectNames(names, 'packages'))];
  return withTransaction(db, async (trx) => {
    const group = await findGroup(trx, ref);
    await assertCanEdit(trx, actor, group);
    const removed = packages.length === 0 ? [] : await trx
      .deleteFrom('package_group_members')
      .where('group_id', '=', group.id)
      .where('package_name', 'in', packages)
      .returning('package_name')
      .execute();
    if (removed.length) await appendEvents(trx, [{ type: 'group.change', payload: { action: 'members_removed', group: groupLabel(ref), packages: removed.map((r) => r.package_name) } }]);
    return groupDetail(trx, group);
  });
}
