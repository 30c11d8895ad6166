/**
 * What happens when a build finishes, in one transaction: outcome classification against the
 * previous build, the build's own resolution (Koschei's build-resolver: the buildroot of the
 * snapshot it built in, and its dependency changes since the previous build), the package state,
 * the `ripple.scratch-build` result and the events.
 */
import { sql } from 'kysely';
import { groupLabel, listGroups } from '../collections/service.ts';
import { withTransaction, type Db, type Trx } from '../db/database.ts';
import type { BuildOutcome, CollectionFormat, PackageState } from '../db/schema.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import type { PolicySet } from '../gating/policies.ts';
import { compareDebianVersions, compareRpmVersions } from '../repos/versions.ts';
import { decodeBuildroot } from '../resolution/buildroot-codec.ts';
import { diffBuildroots, type BuildrootEntry, type DependencyChange } from '../resolution/dependency-changes.ts';
import { packageState } from '../resolution/package-state.ts';
import { nevra } from '../resolution/snapshot-resolver.ts';
import { recordResult } from '../results/service.ts';
import type { ClaimedBuild } from './build-queue.ts';

export const scratchBuildTestcase = 'ripple.scratch-build';

export interface BuildRunResult {
  succeeded: boolean;
  exitStatus: number | null;
  logPath: string | null;
  durationMs: number;
}

export interface FinishedBuild {
  id: number;
  outcome: BuildOutcome;
  state: PackageState;
  changes: DependencyChange[];
}

export function classifyOutcome(succeeded: boolean, previous: 'succeeded' | 'failed' | null): BuildOutcome {
  if (succeeded) return previous === 'failed' ? 'fixed' : 'passed';
  if (previous === null) return 'failed';
  return previous === 'succeeded' ? 'regression' : 'still-failing';
}

type Entry = BuildrootEntry & { id: number };

async function entries(trx: Trx, encoded: Uint8Array): Promise<Entry[]> {
  const members = decodeBuildroot(encoded);
  if (members.length === 0) return [];
  const rows = await trx.selectFrom('binary_packages').selectAll()
    .where('id', '=', sql<number>`any(${members.map((m) => m.binaryId)}::bigint[])`).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return members.map((m) => {
    const b = byId.get(m.binaryId)!;
    return { id: b.id, name: b.name, epoch: b.epoch, version: b.version, release: b.release, arch: b.arch, distance: m.base ? null : m.distance, base: m.base };
  });
}

const comparator = (format: CollectionFormat) => (format === 'debian'
  ? (a: BuildrootEntry, b: BuildrootEntry) => compareDebianVersions(`${a.epoch ? `${a.epoch}:` : ''}${a.version}`, `${b.epoch ? `${b.epoch}:` : ''}${b.version}`)
  : (a: BuildrootEntry, b: BuildrootEntry) => compareRpmVersions(a, b));

/**
 * Records the result of a build `worker` holds. Returns undefined when the worker no longer holds
 * it (its lease expired and the build went back to the queue): that run's result is discarded.
 */
export async function finishBuild(db: Db, worker: string, claimed: ClaimedBuild, run: BuildRunResult, policies?: PolicySet): Promise<FinishedBuild | undefined> {
  return withTransaction(db, async (trx) => {
    const build = await trx.selectFrom('builds').selectAll()
      .where('id', '=', claimed.id).where('attempt', '=', claimed.attempt).where('worker', '=', worker).where('state', '=', 'running')
      .forUpdate().executeTakeFirst();
    if (!build) return undefined;
    const pkg = await trx.selectFrom('packages').selectAll().where('id', '=', build.package_id).forUpdate().executeTakeFirstOrThrow();
    const previous = await trx.selectFrom('builds').select(['id', 'state', 'buildroot'])
      .where('package_id', '=', build.package_id).where('id', '<', build.id).where('state', 'in', ['succeeded', 'failed'])
      .orderBy('id', 'desc').limit(1).executeTakeFirst();
    const outcome = classifyOutcome(run.succeeded, (previous?.state as 'succeeded' | 'failed' | undefined) ?? null);

    // The package's resolution as of the snapshot it built in (resolutions are stored on change only).
    const resolution = await trx.selectFrom('resolutions as r').innerJoin('snapshots as s', 's.id', 'r.snapshot_id')
      .select(['r.buildroot', 'r.buildroot_size', 's.sequence'])
      .where('r.package_id', '=', build.package_id).where('r.resolved', '=', true)
      .where('s.sequence', '<=', sql<number>`(select sequence from snapshots where id = ${build.snapshot_id})`)
      .orderBy('s.sequence', 'desc').limit(1).executeTakeFirst();
    const buildroot = resolution?.buildroot ?? null;
    let changes: DependencyChange[] = [];
    if (buildroot && previous?.buildroot) {
      changes = diffBuildroots(await entries(trx, previous.buildroot), await entries(trx, buildroot), comparator(claimed.format));
      const seen = new Set<string>();
      const rows = changes.filter((c) => !seen.has(c.name) && seen.add(c.name)).map((c) => ({
        package_id: build.package_id, snapshot_id: build.snapshot_id, baseline: 'last_build' as const, build_id: build.id,
        dependency_name: c.name, kind: c.kind, distance: c.distance,
        previous_binary_package_id: c.previous ? (c.previous as Entry).id : null,
        current_binary_package_id: c.current ? (c.current as Entry).id : null,
      }));
      if (rows.length) await trx.insertInto('dependency_changes').values(rows).onConflict((oc) => oc.doNothing()).execute();
    }

    const finishedAt = new Date();
    await trx.updateTable('builds').set({
      state: run.succeeded ? 'succeeded' : 'failed', outcome, finished_at: finishedAt, duration_ms: Math.round(run.durationMs),
      exit_status: run.exitStatus, log_path: run.logPath, lease_expires_at: null, buildroot, buildroot_size: resolution?.buildroot_size ?? null,
    }).where('id', '=', build.id).execute();

    const state = packageState({ blocked: pkg.blocked, tracked: pkg.tracked, resolved: pkg.resolved, previous: run.succeeded ? 'ok' : 'failing' });
    const events: NewEvent[] = [];
    const common = { collection: claimed.collection, collection_id: claimed.collectionId, name: claimed.package };
    if (state !== pkg.state) {
      const reason = `build ${build.id} ${outcome}`;
      await trx.updateTable('packages').set({ state, state_since: finishedAt, state_snapshot_id: build.snapshot_id }).where('id', '=', pkg.id).execute();
      await trx.insertInto('package_state_changes').values({ package_id: pkg.id, snapshot_id: build.snapshot_id, previous_state: pkg.state, state, reason }).execute();
      // The catalogue promises the package's groups with every state change (group subscribers filter on them).
      const groups = (await listGroups(trx, { package: claimed.package })).map((g) => groupLabel({ namespace: g.namespace, name: g.name }));
      events.push({ type: 'package.state.change', collectionId: claimed.collectionId, packageName: claimed.package, payload: {
        ...common, old: pkg.state, new: state, collection_name: claimed.collection, groups, reason, build_id: build.id,
      } });
    }
    const changeSummary = changes.slice(0, 50).map((c) => ({
      name: c.name, kind: c.kind, distance: c.distance, previous: c.previous && nevra(c.previous), current: c.current && nevra(c.current),
    }));
    await recordResult(trx, {
      testcase: scratchBuildTestcase,
      outcome: run.succeeded ? 'PASSED' : 'FAILED',
      item: `${claimed.collection}/${claimed.package}`,
      type: 'ripple_package',
      note: `build ${build.id}: ${outcome}${changes.length ? ` after ${changes.length} dependency change(s), nearest ${changes[0]!.name}` : ''}`,
      refUrl: `/api/builds/${build.id}`,
      data: { build_id: String(build.id), build_outcome: outcome, backend: build.backend, attempt: String(build.attempt), ...(build.arch ? { arch: build.arch } : {}) },
    }, policies);
    events.push({ type: 'build.finished', collectionId: claimed.collectionId, packageName: claimed.package, payload: {
      ...common, build_id: build.id, attempt: build.attempt, state: run.succeeded ? 'succeeded' : 'failed', outcome, exit_status: run.exitStatus,
      duration_ms: Math.round(run.durationMs), dependency_changes: changeSummary, change_count: changes.length,
    } });
    await appendEvents(trx, events);
    return { id: build.id, outcome, state, changes };
  });
}
