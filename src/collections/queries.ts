/**
 * Read side of collections and packages: list/search, package detail with decoded buildroot and
 * history, affected-by, reverse dependencies and collection diffs. Read-only: the ingest pipeline
 * writes snapshots, resolutions, dependency changes and states.
 */
import { sql } from 'kysely';
import { executePrepared, type Db } from '../db/database.ts';
import type { BinaryPackageRow, Collection, CollectionFormat, DependencyChangeBaseline, PackageState, StoredProblem } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import { globToLike } from '../http/validation.ts';
import { decodeBuildroot } from '../resolution/buildroot-codec.ts';
import { compareDebianVersions, compareRpmVersions } from '../repos/versions.ts';
import { findGroup, getCollection, groupLabel, type GroupRef } from './service.ts';
import { packageStateCounts } from './state-counts.ts';

export const packageStates: readonly PackageState[] = ['ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown'];
export const packageSorts = ['name', 'state_since', 'priority'] as const;
export type PackageSort = (typeof packageSorts)[number];

export interface BinaryRef {
  id: number;
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** `[epoch:]version[-release]`, the form versions.ts compares. */
  evr: string;
  nevra: string;
}

export function evrOf(b: { epoch: number; version: string; release: string }): string {
  return `${b.epoch ? `${b.epoch}:` : ''}${b.version}${b.release ? `-${b.release}` : ''}`;
}

export function binaryRef(row: BinaryPackageRow, format: CollectionFormat): BinaryRef {
  const evr = evrOf(row);
  // rpm: name-[e:]v-r.arch; Debian: name_version_arch, as in .deb file names.
  const nevra = format === 'debian' ? `${row.name}_${evr}_${row.arch}` : `${row.name}-${evr}.${row.arch}`;
  return { id: row.id, name: row.name, epoch: row.epoch, version: row.version, release: row.release, arch: row.arch, evr, nevra };
}

export const compareVersions = (format: CollectionFormat, a: string, b: string) =>
  format === 'debian' ? compareDebianVersions(a, b) : compareRpmVersions(a, b);

/**
 * binary_packages rows never change once written (a flyweight of NEVRAs that nothing updates or
 * deletes), so their views are kept once read, per database and format: a package detail shows a
 * few hundred of them, most shared with every other package's buildroot.
 */
const binaryViews = new WeakMap<Db, Map<CollectionFormat, Map<number, BinaryRef>>>();
const maxCachedBinaries = 200_000;

async function binariesById(db: Db, ids: readonly number[], format: CollectionFormat): Promise<Map<number, BinaryRef>> {
  const byFormat = binaryViews.get(db) ?? new Map<CollectionFormat, Map<number, BinaryRef>>();
  binaryViews.set(db, byFormat);
  const cache = byFormat.get(format) ?? new Map<number, BinaryRef>();
  byFormat.set(format, cache);
  const result = new Map<number, BinaryRef>();
  const missing: number[] = [];
  for (const id of new Set(ids)) {
    const known = cache.get(id);
    if (known) result.set(id, known);
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += 10_000) {
    const rows = await executePrepared(db, db.selectFrom('binary_packages').select(['id', 'name', 'epoch', 'version', 'release', 'arch']).where('id', '=', sql<number>`any(${missing.slice(i, i + 10_000)}::bigint[])`));
    for (const row of rows) {
      const view = binaryRef(row, format);
      result.set(row.id, view);
      if (cache.size >= maxCachedBinaries) cache.delete(cache.keys().next().value!);
      cache.set(row.id, view);
    }
  }
  return result;
}

// Package list ------------------------------------------------------------------------------------

export interface PackageListQuery {
  collections?: string[];
  states?: PackageState[];
  group?: GroupRef;
  /** Glob with `*`; without one it matches the exact name. */
  name?: string;
  resolved?: boolean;
  sort?: PackageSort;
  page?: number;
  limit?: number;
}

export interface PackageSummary {
  collection: string;
  name: string;
  state: PackageState;
  stateSince: Date;
  resolved: boolean | null;
  tracked: boolean;
  blocked: boolean;
  manualPriority: number;
  staticPriority: number;
  snoozeUntil: Date | null;
}

export async function listPackages(db: Db, query: PackageListQuery): Promise<{ total: number; page: number; limit: number; items: PackageSummary[] }> {
  const page = query.page ?? 1;
  const limit = query.limit ?? 100;
  // Collections by id, not by a join: one collection's packages then come straight off the
  // (collection_id, state, name) index in page order.
  let collections = db.selectFrom('collections').select(['id', 'name']).orderBy('name');
  if (query.collections?.length) collections = collections.where('name', 'in', query.collections);
  const known = await collections.execute();
  const missing = query.collections?.find((c) => !known.some((k) => k.name === c));
  if (missing !== undefined) throw notFound('collection', missing);
  if (known.length === 0) return { total: 0, page, limit, items: [] };
  const ids = known.map((k) => k.id);
  const nameOf = new Map(known.map((k) => [k.id, k.name]));
  let base = db.selectFrom('packages').where('packages.collection_id', 'in', ids);
  if (query.states?.length) base = base.where('packages.state', 'in', query.states);
  if (query.resolved !== undefined) base = base.where('packages.resolved', '=', query.resolved);
  if (query.name !== undefined) {
    base = query.name.includes('*')
      ? base.where(sql<boolean>`packages.name like ${globToLike(query.name)} escape '\\'`)
      : base.where('packages.name', '=', query.name);
  }
  if (query.group) {
    const groupId = (await findGroup(db, query.group)).id;
    base = base.where((eb) => eb.exists(eb.selectFrom('package_group_members as m').select('m.group_id').where('m.group_id', '=', groupId).whereRef('m.package_name', '=', 'packages.name')));
  }
  // Filtered by collection and state only, the total is a sum of kept counts (state-counts.ts).
  const total = query.resolved === undefined && query.name === undefined && !query.group
    ? (await packageStateCounts(db, ids))
      .filter((c) => !query.states?.length || query.states.includes(c.state)).reduce((sum, c) => sum + c.n, 0)
    : Number((await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow()).total);
  let rows = base.select([
    'packages.collection_id', 'packages.name', 'packages.state', 'packages.state_since', 'packages.resolved', 'packages.tracked',
    'packages.blocked', 'packages.manual_priority', 'packages.static_priority', 'packages.snooze_until',
  ]);
  if (query.sort === 'state_since') rows = rows.orderBy('packages.state_since', 'desc');
  else if (query.sort === 'priority') rows = rows.orderBy(sql`packages.manual_priority + packages.static_priority`, 'desc');
  rows = rows.orderBy('packages.name');
  // Then by collection name: the ids come in name order.
  if (ids.length > 1) rows = rows.orderBy(sql`array_position(${ids}::bigint[], packages.collection_id)`);
  const items = await rows.limit(limit).offset((page - 1) * limit).execute();
  return {
    total,
    page,
    limit,
    items: items.map((r) => ({
      collection: nameOf.get(r.collection_id)!,
      name: r.name,
      state: r.state,
      stateSince: r.state_since,
      resolved: r.resolved,
      tracked: r.tracked,
      blocked: r.blocked,
      manualPriority: r.manual_priority,
      staticPriority: r.static_priority,
      snoozeUntil: r.snooze_until,
    })),
  };
}

/** Koschei's `GET /api/v1/packages` rows; Ripple has no build history yet, so last_complete_build is null. */
export async function koscheiPackages(db: Db, collections: string[], names: string[]) {
  let query = db
    .selectFrom('packages')
    .innerJoin('collections', 'collections.id', 'packages.collection_id')
    .select(['packages.name', 'collections.name as collection', 'packages.state']);
  if (collections.length) query = query.where('collections.name', 'in', collections);
  if (names.length) query = query.where('packages.name', 'in', names);
  const rows = await query.orderBy('packages.name').orderBy('collections.name').execute();
  return rows.map((r) => ({ name: r.name, collection: r.collection, state: r.state, last_complete_build: null }));
}

// Package detail ----------------------------------------------------------------------------------

export interface BuildrootMember extends BinaryRef {
  /** 1 = direct build dependency; null = base buildroot or further than measured. */
  distance: number | null;
  base: boolean;
}

export interface DependencyChangeView {
  dependency: string;
  kind: string;
  distance: number | null;
  previous: BinaryRef | null;
  current: BinaryRef | null;
}

/** Base members last; otherwise nearest first, then by name. */
const byDistance = (a: BuildrootMember, b: BuildrootMember) =>
  Number(a.base) - Number(b.base) || (a.distance ?? 1000) - (b.distance ?? 1000) || a.name.localeCompare(b.name);

export async function decodeMembers(db: Db, encoded: Uint8Array, format: CollectionFormat): Promise<BuildrootMember[]> {
  const members = decodeBuildroot(encoded);
  const binaries = await binariesById(db, members.map((m) => m.binaryId), format);
  return members
    .filter((m) => binaries.has(m.binaryId))
    .map((m) => {
      // Field by field: spreading the shared views was most of a package detail's CPU (~5 ms for 365 members).
      const { id, name, epoch, version, release, arch, evr, nevra } = binaries.get(m.binaryId)!;
      return { id, name, epoch, version, release, arch, evr, nevra, distance: m.distance, base: m.base };
    })
    .sort(byDistance);
}

/** Timestamps inside json_agg arrive as ISO text: the same instant node-postgres would parse. */
const jsonDate = (text: string) => new Date(text);

export async function packageDetail(db: Db, collectionName: string, name: string) {
  // One statement: every round trip costs more here than the work behind it, so the package,
  // its collection, state snapshot, current resolution and the lists come back together (the
  // lists as json arrays of columns).
  const [pkg] = await executePrepared(db, db.selectFrom('packages as p')
    .innerJoin('collections as c', 'c.id', 'p.collection_id')
    .leftJoin('snapshots as ss', 'ss.id', 'p.state_snapshot_id')
    .leftJoin('resolutions as r', 'r.id', 'p.last_resolution_id')
    .leftJoin('snapshots as rs', 'rs.id', 'r.snapshot_id')
    .select([
      'p.id', 'p.name', 'p.tracked', 'p.blocked', 'p.arch_override', 'p.manual_priority', 'p.static_priority', 'p.snooze_until', 'p.state',
      'p.state_since', 'p.resolved', 'c.name as collection', 'c.format', 'ss.sequence as state_sequence', 'r.id as resolution_id',
      'rs.sequence as resolution_sequence', 'r.resolved as resolution_resolved', 'r.problems', 'r.root_cause', 'r.buildroot',
      'r.created_at as resolution_at',
      sql<[DependencyChangeBaseline, string, string, number | null, number | null, number | null][]>`(
        select coalesce(json_agg(json_build_array(d.baseline, d.dependency_name, d.kind, d.distance, d.previous_binary_package_id, d.current_binary_package_id)
          order by d.distance nulls last, d.dependency_name), '[]')
        from package_dependency_changes d where d.package_id = p.id and d.snapshot_id = r.snapshot_id)`.as('changes'),
      sql<[number, number, string, boolean, StoredProblem[], number | null, string][]>`(
        select coalesce(json_agg(json_build_array(h.id, h.sequence, h.snapshot_at, h.resolved, h.problems, h.buildroot_size, h.created_at) order by h.id desc), '[]')
        from (select x.id, s.sequence, s.created_at as snapshot_at, x.resolved, x.problems, x.buildroot_size, x.created_at
              from resolutions x join snapshots s on s.id = x.snapshot_id where x.package_id = p.id order by x.id desc limit 200) h)`.as('resolutions'),
      sql<[PackageState | null, PackageState, string, string, number | null][]>`(
        select coalesce(json_agg(json_build_array(h.previous_state, h.state, h.reason, h.at, h.sequence) order by h.at desc, h.id desc), '[]')
        from (select x.id, x.previous_state, x.state, x.reason, x.at, s.sequence
              from package_state_changes x left join snapshots s on s.id = x.snapshot_id where x.package_id = p.id order by x.at desc, x.id desc limit 200) h)`.as('state_changes'),
      sql<[string, string | null][]>`(
        select coalesce(json_agg(json_build_array(g.name, u.name) order by g.name), '[]')
        from package_group_members m join package_groups g on g.id = m.group_id left join users u on u.id = g.namespace_user_id
        where m.package_name = p.name)`.as('groups'),
    ])
    .where('c.name', '=', collectionName).where('p.name', '=', name));
  if (!pkg) {
    await getCollection(db, collectionName); // throws if the collection is what is missing
    throw notFound('package', `${collectionName}/${name}`);
  }
  const collection = { name: pkg.collection, format: pkg.format };
  const changes = pkg.changes.map(([baseline, dependency_name, kind, distance, previous_binary_package_id, current_binary_package_id]) => ({
    baseline, dependency_name, kind, distance, previous_binary_package_id, current_binary_package_id,
  }));
  const resolutions = pkg.resolutions.map(([id, sequence, snapshotAt, resolved, problems, buildrootSize, at]) => ({
    id, snapshotSequence: sequence, snapshotCreatedAt: jsonDate(snapshotAt), resolved, problems, buildrootSize, at: jsonDate(at),
  }));
  const stateChanges = pkg.state_changes.map(([previousState, state, reason, at, snapshotSequence]) => ({
    previousState, state, reason, at: jsonDate(at), snapshotSequence,
  }));
  const buildroot = pkg.buildroot ? await decodeMembers(db, pkg.buildroot, collection.format) : [];
  const changeBinaries = await binariesById(db, changes.flatMap((c) => [c.previous_binary_package_id, c.current_binary_package_id].filter((id): id is number => id !== null)), collection.format);
  const changeView = (baseline: string): DependencyChangeView[] => changes.filter((c) => c.baseline === baseline).map((c) => ({
    dependency: c.dependency_name,
    kind: c.kind,
    distance: c.distance,
    previous: c.previous_binary_package_id === null ? null : changeBinaries.get(c.previous_binary_package_id) ?? null,
    current: c.current_binary_package_id === null ? null : changeBinaries.get(c.current_binary_package_id) ?? null,
  }));
  return {
    collection: collection.name,
    format: collection.format,
    name: pkg.name,
    flags: {
      tracked: pkg.tracked,
      blocked: pkg.blocked,
      archOverride: pkg.arch_override,
      manualPriority: pkg.manual_priority,
      staticPriority: pkg.static_priority,
      snoozeUntil: pkg.snooze_until,
    },
    state: pkg.state,
    stateSince: pkg.state_since,
    stateSnapshotSequence: pkg.state_sequence,
    resolved: pkg.resolved,
    groups: pkg.groups.map(([groupName, namespace]) => groupLabel({ namespace, name: groupName })),
    resolution: pkg.resolution_id === null ? null : {
      id: pkg.resolution_id,
      snapshotSequence: pkg.resolution_sequence!,
      resolved: pkg.resolution_resolved!,
      problems: pkg.problems!,
      rootCause: pkg.root_cause,
      at: pkg.resolution_at!,
      buildroot,
    },
    dependencyChanges: { previousResolution: changeView('previous_resolution'), lastBuild: changeView('last_build') },
    resolutionHistory: resolutions,
    stateHistory: stateChanges,
  };
}

// Affected-by ---------------------------------------------------------------------------------------

export interface AffectedByQuery {
  dependency: string;
  /** The move must start at or below `from` and end at or above `to` (or the reverse, for downgrades). */
  from?: string;
  to?: string;
  limit?: number;
}

/**
 * Packages whose buildroot saw `dependency` move across [from, to] between two resolutions, with
 * the package's first state change at or after that snapshot: what happened next.
 */
export async function affectedBy(db: Db, collectionName: string, query: AffectedByQuery) {
  const collection = await getCollection(db, collectionName);
  const rows = await db
    .selectFrom('package_dependency_changes as dc')
    .innerJoin('snapshots as s', 's.id', 'dc.snapshot_id')
    .innerJoin('packages as p', 'p.id', 'dc.package_id')
    .leftJoinLateral(
      (eb) => eb.selectFrom('package_state_changes as psc')
        .select(['psc.previous_state', 'psc.state', 'psc.at', 'psc.reason'])
        .whereRef('psc.package_id', '=', 'dc.package_id')
        .whereRef('psc.at', '>=', 's.created_at')
        .orderBy('psc.at').orderBy('psc.id').limit(1)
        .as('next'),
      (join) => join.onTrue(),
    )
    .select(['p.name', 'dc.kind', 'dc.distance', 'dc.previous_binary_package_id', 'dc.current_binary_package_id', 's.sequence', 's.created_at'])
    .select(['next.previous_state', 'next.state', 'next.at', 'next.reason'])
    .where('s.collection_id', '=', collection.id)
    .where('dc.dependency_name', '=', query.dependency)
    .where('dc.baseline', '=', 'previous_resolution')
    .orderBy('s.sequence', 'desc').orderBy('p.name')
    .execute();
  const binaries = await binariesById(db, rows.flatMap((r) => [r.previous_binary_package_id, r.current_binary_package_id].filter((id): id is number => id !== null)), collection.format);
  const cmp = (a: string, b: string) => compareVersions(collection.format, a, b);
  // The move spans [low, high]; an added dependency comes from below everything, a removed one leaves above.
  const crosses = (previous: string | undefined, current: string | undefined): boolean => {
    const [low, high] = previous !== undefined && current !== undefined && cmp(previous, current) > 0 ? [current, previous] : [previous, current];
    return (query.from === undefined || low === undefined || cmp(low, query.from) <= 0)
      && (query.to === undefined || high === undefined || cmp(high, query.to) >= 0);
  };
  const matches = rows.flatMap((r) => {
    const previous = r.previous_binary_package_id === null ? null : binaries.get(r.previous_binary_package_id) ?? null;
    const current = r.current_binary_package_id === null ? null : binaries.get(r.current_binary_package_id) ?? null;
    if (!crosses(previous?.evr, current?.evr)) return [];
    return [{
      package: r.name,
      snapshotSequence: r.sequence,
      snapshotCreatedAt: r.created_at,
      kind: r.kind,
      distance: r.distance,
      previous,
      current,
      next: r.state === null ? null : { previousState: r.previous_state, state: r.state, at: r.at, reason: r.reason },
    }];
  });
  const limit = query.limit ?? 500;
  return { collection: collection.name, dependency: query.dependency, from: query.from ?? null, to: query.to ?? null, total: matches.length, items: matches.slice(0, limit) };
}

// Reverse dependencies -----------------------------------------------------------------------------

interface BuildrootIndex {
  snapshotId: number | null;
  packages: string[];
  buildroots: (Uint8Array | null)[];
}

/**
 * The current resolutions' encoded buildroots, per collection, valid while its current snapshot
 * stays the same. Kept encoded (a few hundred bytes each) rather than decoded (~5 bytes per
 * member, tens of MB for 34k packages); decoding all of them per query is the cheaper trade.
 */
const buildrootCache = new Map<number, BuildrootIndex>();
/** Answers per (snapshot, binary name): a scan of 34k buildroots takes ~0.8 s, a repeat should not. */
const reverseCache = new Map<string, ReverseDependency[]>();
const reverseCacheSize = 256;

interface ReverseDependency { package: string; distance: number | null; base: boolean; binary: BinaryRef }

async function currentBuildroots(db: Db, collection: Collection): Promise<BuildrootIndex> {
  const cached = buildrootCache.get(collection.id);
  if (cached && cached.snapshotId === collection.current_snapshot_id) return cached;
  const rows = await db.selectFrom('packages').innerJoin('resolutions', 'resolutions.id', 'packages.last_resolution_id')
    .select(['packages.name', 'resolutions.buildroot'])
    .where('packages.collection_id', '=', collection.id)
    .orderBy('packages.name').execute();
  const index = { snapshotId: collection.current_snapshot_id, packages: rows.map((r) => r.name), buildroots: rows.map((r) => r.buildroot) };
  buildrootCache.set(collection.id, index);
  return index;
}

/** Packages whose current buildroot contains a binary named `binaryName`, nearest first. */
export async function reverseDependencies(db: Db, collectionName: string, binaryName: string) {
  const collection = await getCollection(db, collectionName);
  const binaries = await db.selectFrom('binary_packages').selectAll().where('name', '=', binaryName).execute();
  const wanted = new Map(binaries.map((b) => [b.id, binaryRef(b, collection.format)]));
  const key = `${collection.id}:${collection.current_snapshot_id}:${binaryName}`;
  const cached = reverseCache.get(key);
  if (cached) return { collection: collection.name, binary: binaryName, total: cached.length, items: cached };
  const items: ReverseDependency[] = [];
  if (wanted.size > 0) {
    const index = await currentBuildroots(db, collection);
    index.buildroots.forEach((encoded, i) => {
      if (!encoded) return;
      for (const member of decodeBuildroot(encoded)) {
        const binary = wanted.get(member.binaryId);
        if (binary) items.push({ package: index.packages[i]!, distance: member.distance, base: member.base, binary });
      }
    });
  }
  items.sort((a, b) => Number(a.base) - Number(b.base) || (a.distance ?? 1000) - (b.distance ?? 1000) || a.package.localeCompare(b.package));
  if (reverseCache.size >= reverseCacheSize) reverseCache.delete(reverseCache.keys().next().value!);
  reverseCache.set(key, items);
  return { collection: collection.name, binary: binaryName, total: items.length, items };
}

// Diff -----------------------------------------------------------------------------------------------

/** Koschei's diff shape: packages present in both collections whose states differ, by name. */
export async function diffCollections(db: Db, first: string, second: string): Promise<{ name: string; state: Record<string, PackageState> }[]> {
  const [a, b] = [await getCollection(db, first), await getCollection(db, second)];
  const rows = await db.selectFrom('packages as p1')
    .innerJoin('packages as p2', (join) => join.onRef('p2.name', '=', 'p1.name').on('p2.collection_id', '=', b.id))
    .select(['p1.name', 'p1.state as s1', 'p2.state as s2'])
    .where('p1.collection_id', '=', a.id)
    .whereRef('p1.state', '<>', 'p2.state')
    .orderBy('p1.name').execute();
  return rows.map((r) => ({ name: r.name, state: { [a.name]: r.s1, [b.name]: r.s2 } }));
}

/** Member states across collections, for a group page. */
export async function groupPackageStates(db: Db, members: string[]) {
  if (members.length === 0) return [];
  const rows = await executePrepared(db, db.selectFrom('packages').innerJoin('collections', 'collections.id', 'packages.collection_id')
    .select(['packages.name', 'collections.name as collection', 'packages.state', 'packages.state_since'])
    .where('packages.name', '=', sql<string>`any(${members}::text[])`).orderBy('packages.name').orderBy('collections.name'));
  const states = new Map<string, Record<string, { state: PackageState; since: Date }>>(members.map((name) => [name, {}]));
  for (const r of rows) states.get(r.name)![r.collection] = { state: r.state, since: r.state_since };
  return [...states].map(([name, byCollection]) => ({ name, states: byCollection }));
}
