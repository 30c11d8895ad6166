/**
 * The scheduler tick: one transaction under an advisory lock, so any number of scheduler instances
 * may run and the caps hold (two ticks never count the same free slot). A tick
 *  1. counts queued + running builds against the global cap and each backend's live capacity,
 *  2. ranks every schedulable package by priority (candidates.ts; full rows only for the few it
 *     looks at),
 *  3. takes candidates round-robin across collections, highest priority first within each, so a
 *     busy or dead collection never starves the others (Koschei #351),
 *  4. skips packages blocked by a queued, running or due build they transitively build-depend on
 *     (OBS; members of a cycle do not wait for each other), and packages the rebuild policy refuses,
 *  5. inserts the builds, resets manual priorities, and appends `build.queued` events.
 * Before all that it advances the rebuild waves (waves.ts): the current batch of each running wave
 * joins the candidates, so wave builds share the cap, the backends and the fairness.
 * The unique index `builds_one_active_per_package` is the last line against double submission.
 */
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { LockClass } from '../db/advisory-locks.ts';
import { withTransaction, type Db } from '../db/database.ts';
import type { BuildBackend } from '../db/schema.ts';
import { appendEvents } from '../events/event-log.ts';
import { createLogger, type Logger } from '../log.ts';
import { Blocking, buildGraph, type BuildGraph } from './build-graph.ts';
import { buildReason, evaluateCandidate, loadCandidates, rankCandidates, type Candidate, type RankedPackage } from './candidates.ts';
import { priorityConfig, type PriorityConfig } from './priority.ts';
import { passRebuildPolicy, rebuildPolicyFromConfig, type RebuildPolicy } from './rebuild-policy.ts';
import { advanceWaves, recordWaveBuilds } from './waves.ts';

export interface SchedulerSettings {
  priority: PriorityConfig;
  maxConcurrentBuilds: number;
  backendLoadFactor: number;
  /** Builders not seen for this long do not count as capacity. */
  builderLivenessSeconds: number;
  /** Consulted before dependents of a changed package are queued (rebuild-policy.ts); none: allow. */
  policy?: RebuildPolicy;
  now?: () => Date;
}

export interface QueuedBuild {
  id: number;
  collectionId: number;
  collection: string;
  package: string;
  backend: BuildBackend;
  priority: number;
  reason: Record<string, unknown>;
}

export interface TickResult {
  queued: QueuedBuild[];
  /** Queued + running before the tick. */
  active: number;
  cap: number;
  /** Candidates above the threshold left out, with why. */
  skipped: { collection: string; package: string; reason: string }[];
}

export const schedulerSettings = (config: Config, policy?: RebuildPolicy): SchedulerSettings => ({
  priority: priorityConfig(config),
  maxConcurrentBuilds: config.maxConcurrentBuilds,
  backendLoadFactor: config.backendLoadFactor,
  builderLivenessSeconds: config.buildLeaseSeconds,
  policy: policy ?? rebuildPolicyFromConfig(config),
});

export async function capacities(db: Db, livenessSeconds: number, loadFactor: number): Promise<Map<string, number>> {
  const rows = await db.selectFrom('builders').select(['backend', (eb) => eb.fn.sum<number>('capacity').as('capacity')])
    .where('draining', '=', false).where('last_seen', '>', sql<Date>`now() - make_interval(secs => ${livenessSeconds})`)
    .groupBy('backend').execute();
  return new Map(rows.map((r) => [r.backend, Math.floor(Number(r.capacity) * loadFactor)]));
}

export async function activeBuilds(db: Db): Promise<Map<string, number>> {
  const rows = await db.selectFrom('builds').select(['backend', (eb) => eb.fn.countAll<number>().as('count')])
    .where('state', 'in', ['queued', 'running']).groupBy('backend').execute();
  return new Map(rows.map((r) => [r.backend, Number(r.count)]));
}

/** Names of packages with a queued or running build, per collection. */
async function activeNames(db: Db): Promise<Map<number, string[]>> {
  const rows = await db.selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id')
    .select(['p.collection_id', 'p.name']).where('b.state', 'in', ['queued', 'running']).execute();
  const byCollection = new Map<number, string[]>();
  for (const r of rows) byCollection.set(r.collection_id, [...(byCollection.get(r.collection_id) ?? []), r.name]);
  return byCollection;
}

export async function schedulerTick(db: Db, settings: SchedulerSettings, logger: Logger = createLogger()): Promise<TickResult> {
  const policy = settings.policy ?? passRebuildPolicy;
  return withTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${LockClass.scheduler}::int4, 0)`.execute(trx);
    // The candidate statement's estimated cost (34k packages) triggers JIT compilation, which took
    // 0.7-2.8 s against 0.45 s of execution in bench/scheduler.ts: index probes gain nothing from it.
    await sql`set local jit = off`.execute(trx);
    // Read before the waves advance: each statement sees the builds committed when it starts, so
    // a build finishing after the advance would otherwise leave its wave behind while freeing its
    // dependents here, which would then be queued on their own ahead of the wave's next batch.
    const running = await activeNames(trx);
    await advanceWaves(trx, policy);
    const now = settings.now?.() ?? new Date();
    const perBackend = await activeBuilds(trx);
    const active = [...perBackend.values()].reduce((a, b) => a + b, 0);
    const result: TickResult = { queued: [], active, cap: settings.maxConcurrentBuilds, skipped: [] };
    let free = settings.maxConcurrentBuilds - active;
    if (free <= 0) return result;
    const backendFree = new Map<string, number>();
    for (const [backend, capacity] of await capacities(trx, settings.builderLivenessSeconds, settings.backendLoadFactor)) {
      backendFree.set(backend, capacity - (perBackend.get(backend) ?? 0));
    }

    const byCollection = new Map<number, RankedPackage[]>();
    for (const r of await rankCandidates(trx, settings.priority, now)) {
      const list = byCollection.get(r.collection_id);
      if (list) list.push(r);
      else byCollection.set(r.collection_id, [r]);
    }
    const collections = new Map(byCollection.size === 0 ? [] : (await trx.selectFrom('collections').select(['id', 'name', 'build_backend'])
      .where('id', 'in', [...byCollection.keys()]).execute()).map((c) => [c.id, c]));
    const lanes: Lane[] = [...byCollection].map(([id, list]) => ({
      collection: collections.get(id)!.name, backend: collections.get(id)!.build_backend,
      packages: list.sort((a, b) => b.rank - a.rank || a.id - b.id),
    }));
    lanes.sort((a, b) => b.packages[0]!.rank - a.packages[0]!.rank);

    // One graph per collection for the tick (buildGraph checks its cache against the database).
    const graphs = new Map<number, Promise<BuildGraph>>();
    const graphOf = (c: Candidate) => {
      let graph = graphs.get(c.row.collection_id);
      if (!graph) graphs.set(c.row.collection_id, (graph = buildGraph(trx, c.row.collection_id, c.row.snapshot_id!)));
      return graph;
    };
    /** Blocking per collection by the packages `names` lists for it. */
    const blockingBy = (names: Map<number, string[]>) => {
      const perCollection = new Map<number, Blocking>();
      return async (c: Candidate) => {
        let b = perCollection.get(c.row.collection_id);
        if (!b) perCollection.set(c.row.collection_id, (b = new Blocking(await graphOf(c), names.get(c.row.collection_id) ?? [])));
        return b;
      };
    };
    const blockingOf = blockingBy(running);
    // OBS also blocks on dependencies that are due but not yet queued: build those first.
    const dueOf = blockingBy(new Map([...byCollection].map(([id, list]) => [id, list.map((r) => r.name)])));

    // Full rows (changes with NEVRAs, wave) only for the packages the tick looks at: the one asked
    // for and the next few of its lane, as many as there are free slots.
    const loaded = new Map<number, Candidate>();
    const candidateOf = async (lane: Lane, ranked: RankedPackage) => {
      if (!loaded.has(ranked.id)) {
        const ids = [ranked.id, ...lane.packages.slice(0, free - 1).map((r) => r.id).filter((id) => !loaded.has(id))];
        for (const row of await loadCandidates(trx, ids)) loaded.set(row.id, evaluateCandidate(row, settings.priority, now));
      }
      return loaded.get(ranked.id);
    };

    const picked: Candidate[] = [];
    const skip = (collection: string, name: string, reason: string) => result.skipped.push({ collection, package: name, reason });
    // Round-robin: each pass gives every collection at most one slot.
    while (free > 0 && lanes.some((lane) => lane.packages.length)) {
      for (const lane of lanes) {
        if (free <= 0) break;
        const candidate = await nextInLane(lane, {
          backendFull: () => (backendFree.get(lane.backend) ?? 0) <= 0,
          candidate: (r) => candidateOf(lane, r),
          blocked: async (c) => (await blockingOf(c)).reason(c.row.name) ?? (await dueOf(c)).reason(c.row.name, true),
          refused: async (c) => {
            // A wave's builds are gated per batch (waves.ts), not per package.
            if (c.row.changes.length === 0 || c.row.wave_id !== null) return null;
            const verdict = await policy(trx, changedDependencies(c));
            return verdict.allowed ? null : verdict.reason;
          },
          skip,
        });
        if (!candidate) continue;
        picked.push(candidate);
        free -= 1;
        backendFree.set(candidate.row.backend, (backendFree.get(candidate.row.backend) ?? 0) - 1);
        (await blockingOf(candidate)).add(candidate.row.name);
      }
    }
    if (picked.length === 0) return result;

    const rows = await trx.insertInto('builds').values(picked.map((c) => ({
      package_id: c.row.id,
      snapshot_id: c.row.snapshot_id!,
      backend: c.row.backend,
      arch: c.row.arch,
      priority: c.rank,
      reason: JSON.stringify(buildReason(c)),
    }))).returning(['id', 'package_id', 'reason']).execute();
    await trx.updateTable('packages').set({ manual_priority: 0 })
      .where('id', 'in', picked.map((c) => c.row.id)).where('manual_priority', '<>', 0).execute();
    const byPackage = new Map(picked.map((c) => [c.row.id, c]));
    result.queued = rows.map((r) => {
      const c = byPackage.get(r.package_id)!;
      return { id: r.id, collectionId: c.row.collection_id, collection: c.row.collection, package: c.row.name, backend: c.row.backend, priority: c.rank, reason: r.reason };
    });
    await recordWaveBuilds(trx, result.queued.flatMap((b) => {
      const c = byPackage.get(rows.find((r) => r.id === b.id)!.package_id)!;
      return c.row.wave_id === null ? [] : [{ waveId: c.row.wave_id, packageId: c.row.id, package: c.row.name, buildId: b.id }];
    }));
    await appendEvents(trx, result.queued.map((b) => ({
      type: 'build.queued', collectionId: b.collectionId, packageName: b.package,
      payload: { build_id: b.id, collection: b.collection, name: b.package, backend: b.backend, priority: b.priority, reason: b.reason },
    })));
    logger.info('builds queued', { count: result.queued.length, active, cap: settings.maxConcurrentBuilds });
    return result;
  });
}

/** What a dependency-change candidate asks the rebuild policy about. */
export const changedDependencies = (c: Candidate) => ({
  collectionId: c.row.collection_id, collection: c.row.collection, snapshotId: c.row.snapshot_id!,
  names: c.row.changes.map((change) => change.name), dependent: c.row.name,
});

/** One collection's packages the tick may queue, best first. */
interface Lane {
  collection: string;
  backend: string;
  packages: RankedPackage[];
}

interface LaneChecks {
  backendFull: () => boolean;
  /** The full candidate; undefined when the package went away since it was ranked. */
  candidate: (r: RankedPackage) => Promise<Candidate | undefined>;
  blocked: (c: Candidate) => Promise<string | null>;
  refused: (c: Candidate) => Promise<string | null>;
  skip: (collection: string, name: string, reason: string) => void;
}

/** Removes and returns the lane's best candidate that may build now; drops the ones that may not. */
async function nextInLane(lane: Lane, checks: LaneChecks): Promise<Candidate | undefined> {
  while (lane.packages.length) {
    if (checks.backendFull()) {
      // The whole collection shares one backend: nothing more from it this tick.
      for (const r of lane.packages.splice(0)) checks.skip(lane.collection, r.name, `backend ${lane.backend} has no free capacity`);
      return undefined;
    }
    const candidate = await checks.candidate(lane.packages.shift()!);
    if (!candidate) continue;
    // Changed since it was ranked (another transaction committed in between): not this tick.
    const why = candidate.reasons.join('; ') || ((await checks.blocked(candidate)) ?? (await checks.refused(candidate)));
    if (why === null) return candidate;
    checks.skip(candidate.row.collection, candidate.row.name, why);
  }
  return undefined;
}

/** Runs `schedulerTick` every `intervalSeconds` until stopped; a failing tick is logged, not fatal. */
export class Scheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  readonly #db: Db;
  readonly #settings: SchedulerSettings;
  readonly #intervalMs: number;
  readonly #logger: Logger;

  constructor(db: Db, settings: SchedulerSettings, intervalSeconds: number, logger: Logger = createLogger().scope({ label: 'scheduler' })) {
    this.#db = db;
    this.#settings = settings;
    this.#intervalMs = intervalSeconds * 1000;
    this.#logger = logger;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#intervalMs);
  }

  /** One tick now, after the previous one (ticks of one instance never overlap). */
  tick(): Promise<unknown> {
    this.#running = this.#running.then(() => schedulerTick(this.#db, this.#settings, this.#logger))
      .catch((error: unknown) => this.#logger.error('scheduler tick failed', { error }));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
