/**
 * Ingesting a collection's repositories: fingerprint check, claim, read, store content-addressed,
 * resolve, compare with the previous resolutions, and commit the new snapshot with every
 * resolution change, dependency change, state change and event in ONE transaction. A failure at
 * any step before that commit leaves the previous snapshot active and the error on the collection.
 *
 * Many instances: the claim is the snapshot row in state 'ingesting' (one per collection, unique
 * index) with a lease the holder renews; a second instance gets `busy` and never resolves the same
 * snapshot; an expired lease (holder died) is failed by the next claimant.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { BinaryPackage, SourcePackage } from '../../resolver/src/types.ts';
import type { Db, Trx } from '../db/database.ts';
import type { PackageState } from '../db/schema.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import { createLogger, type Logger } from '../log.ts';
import { recordBuildabilityResults } from '../results/buildability-results.ts';
import { readFingerprint, stackLayers, type Fingerprint, type Snapshot, type SnapshotLayer } from '../repos/read-repository.ts';
import { compareDebianVersions, compareRpmVersions } from '../repos/versions.ts';
import { decodeBuildroot, encodeBuildroot, type EncodedMember } from './buildroot-codec.ts';
import { distTypeOf, resolutionSettings, sourceLocations, type CollectionRow } from './collection-settings.ts';
import { diffBuildroots, type BuildrootEntry, type DependencyChange } from './dependency-changes.ts';
import { planIncremental, type PreviousResult } from './incremental.ts';
import { currentLayers, loadSnapshot, storeLayers } from './layer-store.ts';
import { packageState } from './package-state.ts';
import { binaryChanges, explainTransition, type RootCause } from './root-cause.ts';
import { buildSources, nevra, SnapshotResolver, type BuildrootPackage, type ResolutionProblem, type ResolutionSettings, type SourceOutcome } from './snapshot-resolver.ts';

export interface IngestOptions {
  /** Who claims the work (host:pid); shown on the snapshot while it is being ingested. */
  instance: string;
  threads?: number;
  /** Seconds a claim stays valid without renewal (renewed every third of it). Default 120. */
  leaseSeconds?: number;
  /** Ingest even when the repositories' fingerprint equals the active snapshot's. */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
  logger?: Logger;
}

export type IngestOutcome =
  | { status: 'unchanged'; snapshotId: number | null }
  | { status: 'busy'; heldBy: string | null }
  | { status: 'failed'; snapshotId: number | null; error: string }
  | {
    status: 'ingested';
    snapshotId: number;
    sequence: number;
    baseResolved: boolean;
    /** Sources given to the solver; the rest of `tracked` carried over (see incremental.ts). */
    solved: number;
    tracked: number;
    /** Why every source was solved, when incremental resolution did not apply. */
    fullReason: string | null;
    changed: number;
    stateChanges: number;
    durationMs: number;
    /** Milliseconds per phase (read, resolve, commit, ...), in order. */
    phases: Record<string, number>;
  };

interface PackageRow {
  id: number;
  name: string;
  tracked: boolean;
  blocked: boolean;
  state: PackageState;
  resolved: boolean | null;
  last_resolution_id: number | null;
  previous_resolved: boolean | null;
  previous_problems: ResolutionProblem[] | null;
  previous_buildroot: Buffer | null;
}

/** What one package gets in the new snapshot. */
interface PackagePlan {
  row: PackageRow;
  source: SourcePackage | null;
  /** Tracked, not blocked, and the base buildroot resolved: it gets a result in this snapshot. */
  resolvedNow: boolean;
  /** Its previous buildroot holds with members substituted (incremental resolution). */
  carried: boolean;
  resolved: boolean;
  problems: ResolutionProblem[];
  buildroot: Buffer | null;
  /** The solver's buildroot; empty when unresolved or carried. */
  members: BuildrootPackage[];
  buildrootSize: number | null;
  changed: boolean;
  state: PackageState;
  dependencyChanges: DependencyChange[];
  rootCause: RootCause | null;
}

const UNIQUE_VIOLATION = '23505';
/**
 * Dependency changes listed in a package.dependency.change event. A regeneration sends one event
 * per changed package (34k for a Debian security update), each repeating changes that thousands
 * share; 50 made these events 43 MB of a regeneration's growth.
 */
const EVENT_CHANGES = 5;
/** Resolutions changed by one ingest from which its tables are vacuumed and analyzed right away. */
const ANALYZE_AFTER = 1000;

export async function ingestCollection(db: Db, collectionName: string, options: IngestOptions): Promise<IngestOutcome> {
  const started = Date.now();
  const collection = await db.selectFrom('collections').selectAll().where('name', '=', collectionName).executeTakeFirst();
  if (!collection) throw new RippleError(ErrorCode.NotFound, `collection '${collectionName}' does not exist`, { what: 'collection', key: collectionName });
  const logger = (options.logger ?? createLogger()).scope({ collection: collection.name });
  const row = collection as unknown as CollectionRow & { id: number; current_snapshot_id: number | null; state: string };
  const format = distTypeOf(collection.format);

  let locations: string[];
  let fingerprint: Fingerprint;
  try {
    locations = sourceLocations(row);
    fingerprint = await readFingerprint(locations, format);
  } catch (error) {
    return recordFailure(db, row, null, error, logger);
  }
  const digest = fingerprint.digest;
  const active = collection.current_snapshot_id === null ? undefined
    : await db.selectFrom('snapshots').select(['id', 'fingerprint', 'blob_sha256s', 'base_resolved', 'base_buildroot'])
      .where('id', '=', collection.current_snapshot_id).executeTakeFirst();
  // Packages added or re-tracked since the last ingest have no resolution yet: they need one even
  // when the repositories did not change (everything else carries over).
  const pending = await db.selectFrom('packages').select('id')
    .where('collection_id', '=', row.id).where('tracked', '=', true).where('blocked', '=', false).where('last_resolution_id', 'is', null)
    .limit(1).executeTakeFirst();
  // (Not while the base buildroot is broken: nothing can be resolved until the repositories change.)
  const resolvePending = pending !== undefined && active?.base_resolved !== false;
  if (!options.force && !resolvePending && active && (active.fingerprint as { digest?: string }).digest === digest) {
    await db.updateTable('collections').set({ last_polled_at: new Date(), regenerate_requested_at: null }).where('id', '=', row.id).execute();
    return { status: 'unchanged', snapshotId: active.id };
  }

  const claim = await claimSnapshot(db, row.id, options);
  if ('busy' in claim) return { status: 'busy', heldBy: claim.heldBy };
  const { snapshotId, sequence } = claim;
  const leaseSeconds = options.leaseSeconds ?? 120;
  const renewal = setInterval(() => {
    db.updateTable('snapshots').set({ lease_expires_at: new Date(Date.now() + leaseSeconds * 1000) })
      .where('id', '=', snapshotId).where('state', '=', 'ingesting').execute()
      .catch((error: unknown) => logger.warn('lease renewal failed', { snapshotId, error }));
  }, (leaseSeconds * 1000) / 3);
  renewal.unref();

  try {
    logger.info('ingest started', { snapshotId, sequence, layers: locations.length });
    const phases = phaseTimer();
    const layers = await currentLayers(db, locations, format, fingerprint);
    phases.lap('read');
    const snapshot = stackLayers(layers);
    const settings = resolutionSettings(row);
    // Storing new layers and starting the solver's workers overlap with loading the previous state;
    // both are awaited before anything depends on them (the storing before the commit).
    const storing = storeLayers(db, layers, collection.format);
    storing.catch(() => undefined);
    const opening = SnapshotResolver.open(snapshot, settings, { threads: options.threads });
    let packages: PackageRow[];
    let sources: Map<string, SourcePackage>;
    let previousEntries: PreviousBuildroots;
    let previous: Snapshot | null;
    try {
      packages = await loadPackages(db, row.id);
      sources = new Map(buildSources(snapshot, settings).map((s) => [s.name, s]));
      previousEntries = await previousBuildroots(db, packages);
      // The previous snapshot as stored (its repositories may be gone upstream by now).
      previous = active ? await loadSnapshot(db, active.blob_sha256s) : null;
    } catch (error) {
      opening.then((r) => r.close(), () => undefined);
      throw error;
    }
    const sameSettings = active !== undefined && canonicalJson((active.fingerprint as { settings?: unknown }).settings) === canonicalJson(settings);
    phases.lap('load previous');

    const resolver = await opening;
    phases.lap('open resolver');
    const solved = new Map<string, SourceOutcome>();
    let carried = new Set<string>();
    let counterpart: (b: BinaryPackage) => BinaryPackage | undefined = () => undefined;
    let fullReason: string | null = 'first snapshot';
    let tracked = 0;
    try {
      if (resolver.base.resolved) {
        const wanted = packages.filter((p) => p.tracked && !p.blocked && sources.has(p.name)).map((p) => sources.get(p.name)!);
        tracked = wanted.length;
        let toSolve = wanted;
        if (previous && active?.base_resolved && active.base_buildroot && sameSettings) {
          const plan = await planIncremental({
            distType: format,
            settings,
            previous: { binaries: previous.binaries, base: await previousBase(db, active.base_buildroot, previous.binaries) },
            current: { binaries: snapshot.binaries, base: resolver.base.buildroot.map((m) => m.binary) },
            sources: wanted,
            ...previousResultsOf(packages, previousEntries, previous, settings),
          });
          ({ carried, counterpart, fullReason } = plan);
          toSolve = plan.solve;
          phases.lap('plan incremental');
        } else if (previous) {
          fullReason = sameSettings ? 'the previous base buildroot was broken' : 'the resolution settings changed';
        }
        for (const outcome of await resolver.resolve(toSolve, options.onProgress)) solved.set(outcome.source.name, outcome);
        phases.lap('resolve');
      }
    } finally {
      await resolver.close();
    }

    const plans = planPackages(packages, sources, solved, carried, resolver.base.resolved);
    // Carried buildroots change by substitution: previous binary id -> current binary id.
    const members = new Set<BinaryPackage>();
    for (const plan of plans) for (const m of plan.members) members.add(m.binary);
    if (resolver.base.resolved) for (const m of resolver.base.buildroot) members.add(m.binary);
    const { substitution, moved, ids } = await substitutionIds(db, previous?.binaries ?? [], previousEntries, counterpart, members);
    phases.lap('binary ids');
    const compare = format === 'deb'
      ? (a: BuildrootEntry, b: BuildrootEntry) => compareDebianVersions(debianEvr(a), debianEvr(b))
      : (a: BuildrootEntry, b: BuildrootEntry) => compareRpmVersions(a, b);
    let changes: ReturnType<typeof binaryChanges> | undefined;
    // Carried buildroots mostly share their moved members (the base's): diff each distinct set once.
    const substitutedChanges = new Map<string, DependencyChange[]>();
    // Identical previous buildroots share one decoded array (previousBuildroots), so one encoding.
    const carriedEncodings = new Map<readonly EncodedMember[], Buffer>();
    for (const plan of plans) {
      if (!plan.resolvedNow) continue;
      const previousBuildroot = plan.row.previous_buildroot;
      if (plan.carried) {
        // Only members whose binary changed differ; none changed: the stored buildroot stands.
        const before = previousEntries.members.get(plan.row.id)!;
        const substituted = before.filter((m) => moved.has(m.binaryId));
        if (substituted.length === 0) continue;
        let encoded = carriedEncodings.get(before);
        if (!encoded) carriedEncodings.set(before, encoded = encodeBuildroot(before, (m) => substitution(m.binaryId)));
        plan.buildroot = encoded;
        plan.buildrootSize = before.length;
        plan.changed = true;
        const key = substituted.map((m) => `${m.binaryId}/${m.base ? 'base' : m.distance}`).join(' ');
        let diff = substitutedChanges.get(key);
        if (!diff) {
          diff = diffBuildroots(
            substituted.map((m) => memberEntry(previousEntries.binaries.get(m.binaryId)!, m)),
            substituted.map((m) => memberEntry(moved.get(m.binaryId)!, m)),
            compare,
          );
          substitutedChanges.set(key, diff);
        }
        plan.dependencyChanges = diff;
        continue;
      }
      if (plan.resolved) {
        plan.buildroot = encodeBuildroot(plan.members.map((m) => ({ binaryId: ids.of(m.binary), distance: m.distance, base: m.base })));
        plan.buildrootSize = plan.members.length;
      }
      plan.changed = plan.row.last_resolution_id === null
        || plan.row.previous_resolved !== plan.resolved
        || (plan.resolved ? !previousBuildroot || !previousBuildroot.equals(plan.buildroot!) : canonicalJson(plan.row.previous_problems) !== canonicalJson(plan.problems));
      if (!plan.changed) continue;
      if (plan.resolved && plan.row.previous_resolved) {
        // A binary id is a NEVRA: members on both sides are no change, so only the rest is diffed
        // (and turned into entries), as for carried buildroots above.
        const before = previousEntries.members.get(plan.row.id) ?? [];
        const beforeIds = new Set(before.map((m) => m.binaryId));
        const nowIds = new Set(plan.members.map((m) => ids.of(m.binary)));
        plan.dependencyChanges = diffBuildroots(
          before.filter((m) => !nowIds.has(m.binaryId)).map((m) => memberEntry(previousEntries.binaries.get(m.binaryId)!, m)),
          plan.members.filter((m) => !beforeIds.has(ids.of(m.binary))).map(entryOf),
          compare,
        );
      }
      if (previous && plan.row.previous_resolved !== null && (plan.row.previous_resolved !== plan.resolved || !plan.resolved)) {
        changes ??= binaryChanges(previous.binaries, snapshot.binaries);
        plan.rootCause = explainTransition(
          plan.row.name,
          plan.row.previous_resolved
            ? { source: plan.source, buildroot: entriesOf(previousEntries, plan.row.id).map(binaryOfEntry) }
            : { source: plan.source, problems: plan.row.previous_problems ?? [] },
          plan.resolved ? { source: plan.source, buildroot: plan.members.map((m) => m.binary) } : { source: plan.source, problems: plan.problems },
          changes,
        );
      }
    }
    phases.lap('compare');

    await storing;
    phases.lap('store layers');
    const baseBuildroot = resolver.base.resolved
      ? encodeBuildroot(resolver.base.buildroot.map((m) => ({ binaryId: ids.of(m.binary), distance: null, base: true })))
      : null;
    const result = await commitSnapshot(db, {
      collection: row, snapshotId, sequence, instance: options.instance, snapshot, layers, plans, ids: ids.byNevra, previousIds: previousEntries.binaries,
      base: resolver.base.resolved ? { resolved: true, buildroot: baseBuildroot! } : { resolved: false, problems: resolver.base.problems },
      settings, solved: solved.size, durationMs: Date.now() - started, phases,
    });
    phases.lap('transaction commit');
    if (result.changed >= ANALYZE_AFTER) {
      // The next ingest's statements are planned from these statistics; autovacuum may come later
      // (or be off). Each package row was rewritten: vacuuming frees the old versions' space for
      // the next ingest's rewrite (bench:service: 3 MB less growth per regeneration, 0.1 s more).
      // The snapshot is committed either way, so a failure here is only logged.
      await sql`vacuum (analyze) packages`.execute(db)
        .then(() => sql`analyze resolutions, dependency_change_sets, dependency_change_set_members, binary_packages`.execute(db))
        .catch((error: unknown) => logger.warn('vacuum and analyze after ingest failed', { snapshotId, error }));
      phases.lap('vacuum and analyze');
    }
    logger.info('ingest finished', {
      snapshotId, sequence, solved: solved.size, tracked, fullReason, ...result, durationMs: Date.now() - started, phases: phases.laps,
    });
    return {
      status: 'ingested', snapshotId, sequence, baseResolved: resolver.base.resolved, solved: solved.size, tracked,
      fullReason, ...result, durationMs: Date.now() - started, phases: phases.laps,
    };
  } catch (error) {
    return recordFailure(db, row, snapshotId, error, logger);
  } finally {
    clearInterval(renewal);
  }
}

function phaseTimer(): { lap(name: string): void; laps: Record<string, number> } {
  let last = Date.now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name) {
      const now = Date.now();
      laps[name] = now - last;
      last = now;
    },
  };
}

/** JSON with object keys sorted: jsonb does not keep key order, so compare canonical forms. */
const canonicalJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v);

const debianEvr = (e: BuildrootEntry) => (e.epoch ? `${e.epoch}:${e.version}` : e.version);
const entryOf = (m: BuildrootPackage): BuildrootEntry => ({ ...pick(m.binary), distance: m.base ? null : m.distance });
const pick = (b: { name: string; epoch: number; version: string; release: string; arch: string }) =>
  ({ name: b.name, epoch: b.epoch, version: b.version, release: b.release, arch: b.arch });
/** Root-cause analysis only needs names and provides of the old buildroot; stored entries have names. */
const binaryOfEntry = (e: BuildrootEntry): BinaryPackage => ({
  ...pick(e), provides: [], requires: [], conflicts: [], obsoletes: [], recommends: [], suggests: [], supplements: [], enhances: [],
  files: [], essential: false, sourceName: '', sourceEvr: '',
});

async function claimSnapshot(db: Db, collectionId: number, options: IngestOptions): Promise<{ snapshotId: number; sequence: number } | { busy: true; heldBy: string | null }> {
  const leaseSeconds = options.leaseSeconds ?? 120;
  try {
    return await db.transaction().execute(async (trx) => {
      await trx.updateTable('snapshots')
        .set({ state: 'failed', error: sql<string>`'abandoned: the lease of ' || coalesce(claimed_by, 'an instance') || ' expired'` })
        .where('collection_id', '=', collectionId).where('state', '=', 'ingesting').where('lease_expires_at', '<', new Date())
        .execute();
      const inserted = await trx.insertInto('snapshots')
        .values({
          collection_id: collectionId,
          sequence: sql<number>`(select coalesce(max(sequence), 0) + 1 from snapshots where collection_id = ${collectionId})`,
          state: 'ingesting',
          claimed_by: options.instance,
          lease_expires_at: new Date(Date.now() + leaseSeconds * 1000),
        })
        .returning(['id', 'sequence'])
        .executeTakeFirstOrThrow();
      return { snapshotId: inserted.id, sequence: inserted.sequence };
    });
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    const holder = await db.selectFrom('snapshots').select('claimed_by').where('collection_id', '=', collectionId).where('state', '=', 'ingesting').executeTakeFirst();
    return { busy: true, heldBy: holder?.claimed_by ?? null };
  }
}

async function loadPackages(db: Db, collectionId: number): Promise<PackageRow[]> {
  const rows = await db.selectFrom('packages as p')
    .leftJoin('resolutions as r', 'r.id', 'p.last_resolution_id')
    .select(['p.id', 'p.name', 'p.tracked', 'p.blocked', 'p.state', 'p.resolved', 'p.last_resolution_id',
      'r.resolved as previous_resolved', 'r.problems as previous_problems', 'r.buildroot as previous_buildroot'])
    .where('p.collection_id', '=', collectionId)
    .orderBy('p.name')
    .execute();
  return rows as unknown as PackageRow[];
}

function planPackages(packages: PackageRow[], sources: Map<string, SourcePackage>, solved: Map<string, SourceOutcome>, carried: Set<string>, baseResolved: boolean): PackagePlan[] {
  return packages.map((row) => {
    const plan: PackagePlan = {
      row, source: sources.get(row.name) ?? null, resolvedNow: false, carried: false, resolved: row.resolved ?? false, problems: [], buildroot: null,
      members: [], buildrootSize: null, changed: false, state: row.state, dependencyChanges: [], rootCause: null,
    };
    if (!row.tracked || row.blocked || !baseResolved) {
      // Not resolved in this snapshot: keep the last resolution; only flags decide the state.
      plan.state = packageState({ blocked: row.blocked, tracked: row.tracked, resolved: row.resolved, previous: row.state });
      return plan;
    }
    plan.resolvedNow = true;
    const outcome = solved.get(row.name);
    if (carried.has(row.name)) {
      plan.carried = true;
      plan.resolved = true;
      plan.buildroot = row.previous_buildroot;
    } else if (!outcome) {
      plan.resolved = false;
      plan.problems = [{ sentences: [`source package ${row.name} is not in the collection's repositories`], packages: [], dependencies: [] }];
    } else if (outcome.resolved) {
      plan.resolved = true;
      plan.members = outcome.buildroot;
    } else {
      plan.resolved = false;
      plan.problems = outcome.problems;
    }
    plan.state = packageState({ blocked: false, tracked: true, resolved: plan.resolved, previous: row.state });
    return plan;
  });
}

/**
 * Ids of binary_packages flyweight rows, by NEVRA and by object for the binaries asked for:
 * buildroots share binary objects, and NEVRA strings for millions of members cost seconds.
 */
interface BinaryIds {
  byNevra: Map<string, number>;
  of(binary: BinaryPackage): number;
}

/** Ids of the binary_packages flyweight rows for these binaries, inserting the missing ones. */
async function binaryIds(db: Db, binaries: Iterable<BinaryPackage>): Promise<BinaryIds> {
  const keys = new Map<BinaryPackage, string>();
  const unique = new Map<string, BinaryPackage>();
  for (const b of binaries) {
    if (keys.has(b)) continue;
    const key = nevra(b);
    keys.set(b, key);
    unique.set(key, b);
  }
  const byNevra = new Map<string, number>();
  const list = [...unique.values()];
  // unnest() keeps one statement per chunk whatever its size; the chunk bounds transaction length.
  for (let at = 0; at < list.length; at += 5000) {
    const chunk = list.slice(at, at + 5000);
    const columns = {
      name: chunk.map((b) => b.name), epoch: chunk.map((b) => b.epoch), version: chunk.map((b) => b.version),
      release: chunk.map((b) => b.release), arch: chunk.map((b) => b.arch),
    };
    await sql`
      insert into binary_packages (name, epoch, version, release, arch)
      select * from unnest(${columns.name}::text[], ${columns.epoch}::int[], ${columns.version}::text[], ${columns.release}::text[], ${columns.arch}::text[])
      on conflict do nothing`.execute(db);
    const { rows } = await sql<{ id: number; name: string; epoch: number; version: string; release: string; arch: string }>`
      select b.id, b.name, b.epoch, b.version, b.release, b.arch
      from binary_packages b
      join unnest(${columns.name}::text[], ${columns.epoch}::int[], ${columns.version}::text[], ${columns.release}::text[], ${columns.arch}::text[])
        as w(name, epoch, version, release, arch)
        using (name, epoch, version, release, arch)`.execute(db);
    for (const r of rows) byNevra.set(nevra(r), r.id);
  }
  const byObject = new Map([...keys].map(([b, key]) => [b, byNevra.get(key)!]));
  return { byNevra, of: (b) => byObject.get(b) ?? byNevra.get(nevra(b))! };
}

/**
 * The previous buildroot of every package that has one: decoded member ids per package, and the
 * binaries they name once (a whole-distribution regeneration touches millions of members, so
 * name/version entries are only built for the packages that need them, see entriesOf).
 */
interface PreviousBuildroots {
  members: Map<number, readonly EncodedMember[]>;
  binaries: Map<number, Omit<BuildrootEntry, 'distance'>>;
}

async function previousBuildroots(db: Db, packages: PackageRow[]): Promise<PreviousBuildroots> {
  const members = new Map<number, EncodedMember[]>();
  const ids = new Set<number>();
  // Sources with the same build dependencies have the same buildroot (a quarter of Debian's share
  // one with another): they share one decoding, which nobody modifies.
  const decodings = new Map<string, EncodedMember[]>();
  for (const row of packages) {
    if (!row.previous_resolved || !row.previous_buildroot) continue;
    const bytes = row.previous_buildroot.toString('latin1');
    let decoded = decodings.get(bytes);
    if (!decoded) {
      decodings.set(bytes, decoded = decodeBuildroot(row.previous_buildroot));
      for (const m of decoded) ids.add(m.binaryId);
    }
    members.set(row.id, decoded);
  }
  return { members, binaries: await binaryEntries(db, [...ids]) };
}

const memberEntry = (binary: Omit<BuildrootEntry, 'distance'>, m: EncodedMember): BuildrootEntry =>
  ({ ...pick(binary), distance: m.base ? null : m.distance, base: m.base });

function entriesOf(previous: PreviousBuildroots, packageId: number): BuildrootEntry[] {
  return (previous.members.get(packageId) ?? []).map((m) => memberEntry(previous.binaries.get(m.binaryId)!, m));
}

/**
 * Ids of the binary_packages rows for `binaries`, and for the current counterparts of the previous
 * buildroots' members that moved (carried buildroots swap those ids, see incremental.ts). The
 * counterparts are added to `binaries`.
 */
async function substitutionIds(
  db: Db, previousBinaries: BinaryPackage[], previous: PreviousBuildroots, counterpart: (b: BinaryPackage) => BinaryPackage | undefined, binaries: Set<BinaryPackage>,
): Promise<{ ids: BinaryIds; moved: Map<number, BinaryPackage>; substitution: (id: number) => number }> {
  const byNevra = new Map(previousBinaries.map((b) => [nevra(b), b]));
  const moved = new Map<number, BinaryPackage>();
  for (const [id, entry] of previous.binaries) {
    const old = byNevra.get(nevra(entry));
    const now = old && counterpart(old);
    if (now && now !== old && nevra(now) !== nevra(old)) moved.set(id, now);
  }
  for (const b of moved.values()) binaries.add(b);
  const ids = await binaryIds(db, binaries);
  return { ids, moved, substitution: (id) => (moved.has(id) ? ids.of(moved.get(id)!) : id) };
}

async function binaryEntries(db: Db, ids: number[]): Promise<Map<number, Omit<BuildrootEntry, 'distance'>>> {
  const wanted = [...new Set(ids)];
  const binaries = new Map<number, Omit<BuildrootEntry, 'distance'>>();
  for (let at = 0; at < wanted.length; at += 20000) {
    const rows = await db.selectFrom('binary_packages').selectAll().where('id', '=', sql<number>`any(${wanted.slice(at, at + 20000)}::bigint[])`).execute();
    for (const r of rows) binaries.set(r.id, { name: r.name, epoch: r.epoch, version: r.version, release: r.release, arch: r.arch });
  }
  return binaries;
}

/** The previous snapshot's base buildroot as binaries of that snapshot. */
async function previousBase(db: Db, encoded: Uint8Array, binaries: BinaryPackage[]): Promise<BinaryPackage[] | null> {
  const byNevra = new Map(binaries.map((b) => [nevra(b), b]));
  const entries = await binaryEntries(db, decodeBuildroot(encoded).map((m) => m.binaryId));
  const base = [...entries.values()].map((e) => byNevra.get(nevra(e)));
  return base.every((b) => b !== undefined) ? (base as BinaryPackage[]) : null;
}

/**
 * Previous resolved results for incremental resolution, their members as decoded (binaryOf gives
 * each one's binary of the previous snapshot: a member the stored snapshot lacks makes its source
 * solved again).
 */
function previousResultsOf(packages: PackageRow[], buildroots: PreviousBuildroots, previous: Snapshot, settings: ResolutionSettings):
  { previousResults: Map<string, PreviousResult<EncodedMember>>; binaryOf: (member: EncodedMember) => BinaryPackage | undefined } {
  const byNevra = new Map(previous.binaries.map((b) => [nevra(b), b]));
  const byId = new Map([...buildroots.binaries].map(([id, entry]) => [id, byNevra.get(nevra(entry))]));
  const sources = new Map(buildSources(previous, settings).map((s) => [s.name, s]));
  const previousResults = new Map<string, PreviousResult<EncodedMember>>();
  for (const row of packages) {
    const members = buildroots.members.get(row.id);
    const source = sources.get(row.name);
    if (row.previous_resolved && members && source) previousResults.set(row.name, { source, resolved: true, members });
  }
  return { previousResults, binaryOf: (m) => byId.get(m.binaryId) };
}

interface CommitInput {
  collection: CollectionRow & { id: number; state: string; current_snapshot_id: number | null };
  snapshotId: number;
  sequence: number;
  instance: string;
  snapshot: Snapshot;
  layers: SnapshotLayer[];
  plans: PackagePlan[];
  ids: Map<string, number>;
  /** The previous buildroots' binaries by id: dependency changes name their previous versions by id. */
  previousIds: Map<number, Omit<BuildrootEntry, 'distance'>>;
  base: { resolved: true; buildroot: Buffer } | { resolved: false; problems: ResolutionProblem[] };
  settings: ResolutionSettings;
  solved: number;
  durationMs: number;
  /** Laps of the commit's steps go here too. */
  phases: ReturnType<typeof phaseTimer>;
}

async function commitSnapshot(db: Db, input: CommitInput): Promise<{ changed: number; stateChanges: number }> {
  const { collection, snapshotId, sequence, plans } = input;
  return db.transaction().execute(async (trx) => {
    const mine = await trx.selectFrom('snapshots').select('id')
      .where('id', '=', snapshotId).where('state', '=', 'ingesting').where('claimed_by', '=', input.instance)
      .forUpdate().executeTakeFirst();
    if (!mine) throw new RippleError(ErrorCode.Conflict, `snapshot ${sequence} of ${collection.name} was taken over (lease expired) before it could be stored`);

    const changed = plans.filter((p) => p.changed);
    // Sets before the resolutions that name them, resolutions before the package update that
    // reads both (the unapplied-change distances, sql/0014).
    const changeSets = await insertChangeSets(trx, changed, input.ids, input.previousIds);
    input.phases.lap('store change sets');
    const resolutionIds = await insertResolutions(trx, snapshotId, changed, changeSets);
    input.phases.lap('store resolutions');
    const stateChanged = plans.filter((p) => p.state !== p.row.state);
    await updatePackages(trx, snapshotId, plans, resolutionIds);
    input.phases.lap('update packages');
    // Chunks keep each statement under PostgreSQL's 65535 bind parameters.
    for (let at = 0; at < stateChanged.length; at += 5000) {
      await trx.insertInto('package_state_changes').values(stateChanged.slice(at, at + 5000).map((p) => ({
        package_id: p.row.id, snapshot_id: snapshotId, previous_state: p.row.state, state: p.state,
        reason: p.rootCause?.summary ?? (p.state === 'unresolved' ? p.problems[0]?.sentences[0] ?? '' : `snapshot ${sequence}`),
      }))).execute();
    }

    const unresolved = plans.filter((p) => p.row.tracked && !p.row.blocked && !p.resolved).length;
    await trx.updateTable('snapshots').set({ state: 'superseded' }).where('collection_id', '=', collection.id).where('state', '=', 'active').execute();
    await trx.updateTable('snapshots').set({
      state: 'active',
      activated_at: new Date(),
      // The settings resolved with: incremental resolution only compares like with like.
      fingerprint: JSON.stringify({ ...input.snapshot.fingerprint, settings: input.settings }),
      blob_sha256s: input.layers.map((l) => l.key),
      base_resolved: input.base.resolved,
      base_problems: JSON.stringify(input.base.resolved ? [] : input.base.problems),
      base_buildroot: input.base.resolved ? input.base.buildroot : null,
      binary_count: input.snapshot.binaries.length,
      source_count: input.snapshot.sources.length,
      resolved_count: plans.length - unresolved,
      unresolved_count: unresolved,
      solved_count: input.solved,
      changed_count: changed.length,
      duration_ms: input.durationMs,
      claimed_by: null,
      lease_expires_at: null,
    }).where('id', '=', snapshotId).execute();
    const collectionState = input.base.resolved ? 'ok' : 'unresolved';
    await trx.updateTable('collections').set({
      current_snapshot_id: snapshotId, state: collectionState, last_error: null, last_error_at: null,
      last_polled_at: new Date(), regenerate_requested_at: null, updated_at: new Date(),
    }).where('id', '=', collection.id).execute();

    const groups = await groupsOf(trx, stateChanged.map((p) => p.row.name));
    const events: NewEvent[] = [];
    const common = { collection: collection.name, collection_id: collection.id, snapshot: sequence };
    if (collection.state !== collectionState) {
      events.push({ type: 'collection.state.change', collectionId: collection.id, payload: {
        ...common, old: collection.state, new: collectionState, collection_name: collection.name,
        base_problems: input.base.resolved ? [] : input.base.problems,
      } });
    }
    for (const p of changed) {
      if (p.row.previous_resolved !== null && p.row.previous_resolved !== p.resolved) {
        events.push({ type: 'package.buildability.change', collectionId: collection.id, packageName: p.row.name, payload: {
          ...common, name: p.row.name, resolved: p.resolved, previous_resolved: p.row.previous_resolved,
          root_cause: p.rootCause, problems: p.problems,
        } });
      }
      if (p.dependencyChanges.length) {
        events.push({ type: 'package.dependency.change', collectionId: collection.id, packageName: p.row.name, payload: {
          ...common, name: p.row.name, count: p.dependencyChanges.length,
          // The nearest ones (diffBuildroots sorts by distance); the package detail has them all.
          changes: p.dependencyChanges.slice(0, EVENT_CHANGES).map((c) => ({
            name: c.name, kind: c.kind, distance: c.distance,
            previous: c.previous && nevra(c.previous), current: c.current && nevra(c.current),
          })),
        } });
      }
    }
    for (const p of stateChanged) {
      events.push({ type: 'package.state.change', collectionId: collection.id, packageName: p.row.name, payload: {
        ...common, name: p.row.name, old: p.row.state, new: p.state, repo: sequence, collection_name: collection.name,
        groups: groups.get(p.row.name) ?? [], reason: p.rootCause?.summary ?? null,
      } });
    }
    events.push({ type: 'snapshot.ingested', collectionId: collection.id, payload: {
      ...common, snapshot_id: snapshotId, base_resolved: input.base.resolved, binaries: input.snapshot.binaries.length,
      sources: input.snapshot.sources.length, solved: input.solved, changed: changed.length, state_changes: stateChanged.length,
      unresolved, duration_ms: input.durationMs,
    } });
    input.phases.lap('state changes and snapshot');
    await recordBuildabilityResults(trx, { collection: collection.name, sequence, snapshotId },
      changed.map((p) => ({ name: p.row.name, resolved: p.resolved, previousResolved: p.row.previous_resolved, problems: p.problems })));
    input.phases.lap('buildability results');
    await appendEvents(trx, events);
    input.phases.lap('events');
    return { changed: changed.length, stateChanges: stateChanged.length };
  });
}

async function insertResolutions(trx: Trx, snapshotId: number, changed: PackagePlan[], changeSets: Map<DependencyChange[], number>): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  // One array per column (unnest), as for change sets below: a short statement to parse.
  for (let at = 0; at < changed.length; at += 10000) {
    const chunk = changed.slice(at, at + 10000);
    const { rows } = await sql<{ id: number; package_id: number }>`
      insert into resolutions (package_id, snapshot_id, resolved, problems, root_cause, buildroot, buildroot_size, change_set_id)
      select package_id, ${snapshotId}::bigint, resolved, problems::jsonb, root_cause::jsonb, buildroot, buildroot_size, change_set_id
      from unnest(${chunk.map((p) => p.row.id)}::bigint[], ${chunk.map((p) => p.resolved)}::boolean[], ${chunk.map((p) => JSON.stringify(p.problems))}::text[],
                  ${chunk.map((p) => (p.rootCause ? JSON.stringify(p.rootCause) : null))}::text[], ${chunk.map((p) => p.buildroot)}::bytea[],
                  ${chunk.map((p) => p.buildrootSize)}::int[], ${chunk.map((p) => changeSets.get(p.dependencyChanges) ?? null)}::bigint[])
        as r(package_id, resolved, problems, root_cause, buildroot, buildroot_size, change_set_id)
      returning id, package_id`.execute(trx);
    for (const r of rows) ids.set(r.package_id, r.id);
  }
  return ids;
}

/**
 * The change sets of these packages (sql/0012), inserting the ones not stored yet: ids by the
 * packages' change arrays (carried buildroots with the same moves share one array, see compare).
 */
async function insertChangeSets(trx: Trx, changed: PackagePlan[], ids: Map<string, number>, previousIds: CommitInput['previousIds']): Promise<Map<DependencyChange[], number>> {
  // Previous versions are members of previous buildroots, whose ids are known.
  const idOf = new Map(ids);
  for (const [id, entry] of previousIds) if (!idOf.has(nevra(entry))) idOf.set(nevra(entry), id);
  const sets = new Map<string, ChangeSetRow[]>();
  const digestOf = new Map<DependencyChange[], string>();
  for (const p of changed) {
    if (p.dependencyChanges.length === 0 || digestOf.has(p.dependencyChanges)) continue;
    const rows = dedupeByName(p.dependencyChanges).map((c): ChangeSetRow => ({
      name: c.name,
      previous: c.previous ? idOf.get(nevra(c.previous))! : null,
      current: c.current ? idOf.get(nevra(c.current))! : null,
      kind: c.kind,
      distance: c.distance,
    })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const digest = createHash('sha256').update(JSON.stringify(rows.map((r) => [r.name, r.kind, r.distance, r.previous, r.current]))).digest('hex');
    digestOf.set(p.dependencyChanges, digest);
    sets.set(digest, rows);
  }
  const setIds = new Map<string, number>();
  // Sorted: ingests of two collections sharing sets then wait on each other's new digests in the
  // same order, never in a cycle (a deadlock).
  const digests = [...sets.keys()].sort();
  for (let at = 0; at < digests.length; at += 10000) {
    const chunk = digests.slice(at, at + 10000);
    const inserted = await sql<{ id: number; digest: string }>`
      insert into dependency_change_sets (digest) select * from unnest(${chunk}::text[]) on conflict do nothing returning id, digest`.execute(trx);
    const rows = inserted.rows.flatMap((r) => sets.get(r.digest)!.map((m) => ({ ...m, set: r.id })));
    // One array parameter per column (unnest) keeps each statement short whatever its size.
    for (let row = 0; row < rows.length; row += 50000) {
      const part = rows.slice(row, row + 50000);
      await sql`
        insert into dependency_change_set_members (set_id, dependency_name, previous_binary_package_id, current_binary_package_id, kind, distance)
        select * from unnest(${part.map((r) => r.set)}::bigint[], ${part.map((r) => r.name)}::text[], ${part.map((r) => r.previous)}::bigint[],
                             ${part.map((r) => r.current)}::bigint[], ${part.map((r) => r.kind)}::text[], ${part.map((r) => r.distance)}::smallint[])`.execute(trx);
    }
    const all = await sql<{ id: number; digest: string }>`select id, digest from dependency_change_sets where digest = any(${chunk}::text[])`.execute(trx);
    for (const r of all.rows) setIds.set(r.digest, r.id);
  }
  return new Map([...digestOf].map(([changes, digest]) => [changes, setIds.get(digest)!]));
}

interface ChangeSetRow { name: string; previous: number | null; current: number | null; kind: string; distance: number | null }

/** A set keeps one row per dependency name; multilib pairs keep the nearest change. */
function dedupeByName(changes: DependencyChange[]): DependencyChange[] {
  const seen = new Set<string>();
  return changes.filter((c) => !seen.has(c.name) && seen.add(c.name));
}

/**
 * One write per package: its resolution and state, and the distances of its unapplied dependency
 * changes, which the new resolutions' change sets may have changed (sql/0014).
 */
async function updatePackages(trx: Trx, snapshotId: number, plans: PackagePlan[], resolutionIds: Map<number, number>): Promise<void> {
  const touched = plans.filter((p) => p.changed || p.state !== p.row.state);
  // One statement however many: the distances' view is joined once, not once per chunk (a chunk
  // of 5,000 cost as much as all 34k of a Debian regeneration).
  if (touched.length === 0) return;
  const ids = touched.map((p) => p.row.id);
  await sql`
    update packages p set
      resolved = v.resolved,
      last_resolution_id = coalesce(v.resolution_id, p.last_resolution_id),
      state = v.state,
      state_since = case when v.state <> p.state then now() else p.state_since end,
      state_snapshot_id = case when v.state <> p.state then ${snapshotId}::bigint else p.state_snapshot_id end,
      unapplied_change_distances = u.distances
    from unnest(${ids}::bigint[], ${touched.map((p) => p.resolved)}::boolean[],
                ${touched.map((p) => resolutionIds.get(p.row.id) ?? null)}::bigint[], ${touched.map((p) => p.state)}::text[])
      as v(id, resolved, resolution_id, state)
      join unapplied_change_distances_of(${ids}::bigint[]) u on u.package_id = v.id
    where p.id = v.id`.execute(trx);
}

async function groupsOf(trx: Trx, names: string[]): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  if (names.length === 0) return groups;
  const rows = await trx.selectFrom('package_group_members as m')
    .innerJoin('package_groups as g', 'g.id', 'm.group_id')
    .leftJoin('users as u', 'u.id', 'g.namespace_user_id')
    .select(['m.package_name', 'g.name', 'u.name as namespace'])
    .where('m.package_name', '=', sql<string>`any(${names}::text[])`)
    .execute();
  // Labelled as everywhere else (collections/service.ts groupLabel): `global/<name>` for global groups.
  for (const r of rows) groups.set(r.package_name, [...(groups.get(r.package_name) ?? []), `${r.namespace ?? 'global'}/${r.name}`]);
  return groups;
}

async function recordFailure(db: Db, collection: { id: number; name: string }, snapshotId: number | null, error: unknown, logger: Logger): Promise<IngestOutcome> {
  if (!(error instanceof RippleError)) logger.error('ingest failed unexpectedly', { snapshotId, error });
  else logger.warn('ingest failed', { snapshotId, error: error.message });
  const message = error instanceof Error ? error.message : String(error);
  await db.transaction().execute(async (trx) => {
    if (snapshotId !== null) {
      await trx.updateTable('snapshots').set({ state: 'failed', error: message, claimed_by: null, lease_expires_at: null })
        .where('id', '=', snapshotId).where('state', '=', 'ingesting').execute();
    }
    await trx.updateTable('collections').set({ last_error: message, last_error_at: new Date(), last_polled_at: new Date(), regenerate_requested_at: null })
      .where('id', '=', collection.id).execute();
    await appendEvents(trx, [{ type: 'snapshot.failed', collectionId: collection.id, payload: { collection: collection.name, snapshot_id: snapshotId, error: message } }]);
  });
  return { status: 'failed', snapshotId, error: message };
}
