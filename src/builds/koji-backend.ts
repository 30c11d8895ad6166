/**
 * The koji backend: a koji worker claims queued builds of backend `koji` from the database (the
 * same `FOR UPDATE SKIP LOCKED` claim and leases as local builders) and turns each into an
 * authenticated scratch build on the Koji hub of the latest SRPM of the package in the collection's
 * target's destination tag (Koschei's submission). It holds no state of its own between polls: the
 * builds it holds and their task ids are rows of `builds`, so every poll is also the reconciler.
 * Each poll (RIPPLE_KOJI_POLL_SECONDS):
 *  1. renews its leases and adopts running koji builds whose worker died (a build with a task is
 *     never requeued, see reclaimExpired; its task keeps running on the hub);
 *  2. asks the hub about every held task in one multiCall (getTaskInfo): CLOSED finishes the build
 *     as succeeded, FAILED with a Koji error (BuildError, ...) as failed, FAILED with any other
 *     fault (an exception inside Koji) is an infrastructure failure and retried, CANCELED ends it
 *     canceled, a task the hub does not know is retried; logs (listTaskOutput, downloadTaskOutput
 *     of the task and its children) are stored like local logs first;
 *  3. sends cancelTask for held builds someone asked to cancel, and for tasks unfinished after
 *     RIPPLE_BUILD_TIMEOUT_SECONDS (those builds are retried as infrastructure failures);
 *  4. reports the hub's free capacity (listHosts of the channel: capacity and task_load per arch,
 *     Koschei's load rule) as its builder capacity, which the scheduler respects;
 *  5. claims queued builds up to that capacity and submits them (getBuildTarget, getLatestBuilds,
 *     listRPMs, build). A build that may have been submitted before a crash (a retry, or a held
 *     build without a task) first looks for its task among our own build tasks (listTasks), so a
 *     restart never submits twice.
 * The hub unreachable, timeouts and faults at submission are infrastructure failures: retried with
 * backoff, never the package failing.
 */
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { withTransaction, type Db } from '../db/database.ts';
import { invalidInput } from '../errors.ts';
import type { PolicySet } from '../gating/policies.ts';
import { createLogger, type Logger } from '../log.ts';
import { finishBuild } from './build-completion.ts';
import { InfrastructureError } from './build-executors.ts';
import {
  cancelBuilds, claimBuilds, failInfrastructure, finishCanceled, heartbeat, reclaimExpired, registerBuilder, type CancelOutcome, type ClaimedBuild,
  type RetrySettings,
} from './build-queue.ts';
import { KojiClient, KojiFault, TaskState, taskStateName, type KojiBuildInfo, type KojiHost, type KojiRpm, type KojiTaskInfo } from './koji-client.ts';
import { logDirectory } from './local-worker.ts';
import { SerialPoller } from './serial-poller.ts';

export interface KojiSettings {
  /** Prefix making `packages/...` relative to the hub's work directory (Koschei's srpm_relative_path_root). */
  srpmPathRoot: string;
  channel: string;
  loadThreshold: number;
  buildLoad: number;
  taskPriority: number;
}

export interface KojiWorkerOptions {
  name: string;
  arches: string[];
  /** Most builds this worker keeps on the hub; the hub's load lowers it further. */
  maxBuilds: number;
  leaseSeconds: number;
  pollSeconds: number;
  /** A task still unfinished this long after the build started is canceled on the hub and retried as an infrastructure failure. */
  timeoutSeconds: number;
  retry: RetrySettings;
  logDir: string;
  koji: KojiSettings;
  client: KojiClient;
  policies?: PolicySet;
  logger?: Logger;
}

interface HeldBuild extends ClaimedBuild {
  taskId: number | null;
  cancelRequested: boolean;
  queuedAt: Date;
  startedAt: Date | null;
  target: string | null;
}

/** Bytes per downloadTaskOutput call. */
const chunkSize = 1 << 20;

export function kojiWorkerFromConfig(db: Db, config: Config): KojiWorker {
  if (!config.kojiHubUrl) throw invalidInput('RIPPLE_KOJI_HUB_URL', 'a koji builder needs RIPPLE_KOJI_HUB_URL (the hub XML-RPC URL)');
  if (!config.kojiClientCert && !config.kojiUser) {
    throw invalidInput('RIPPLE_KOJI_USER', 'a koji builder needs RIPPLE_KOJI_CLIENT_CERT (client-certificate login) or RIPPLE_KOJI_USER and RIPPLE_KOJI_PASSWORD');
  }
  return new KojiWorker(db, {
    name: config.builderName || `${hostname()}:${process.pid}`,
    arches: config.builderArches.split(',').map((a) => a.trim()).filter(Boolean),
    maxBuilds: config.builderCapacity,
    leaseSeconds: config.buildLeaseSeconds,
    pollSeconds: config.kojiPollSeconds,
    timeoutSeconds: config.buildTimeoutSeconds,
    retry: { maxAttempts: config.buildMaxAttempts, backoffSeconds: config.buildRetryBackoffSeconds },
    logDir: logDirectory(config),
    koji: {
      srpmPathRoot: config.kojiSrpmPathRoot, channel: config.kojiChannel, loadThreshold: config.kojiLoadThreshold,
      buildLoad: config.kojiBuildLoad, taskPriority: config.kojiTaskPriority,
    },
    client: new KojiClient({
      hubUrl: config.kojiHubUrl, user: config.kojiUser || undefined, password: config.kojiPassword || undefined,
      clientCert: config.kojiClientCert || undefined, clientKey: config.kojiClientKey || undefined, serverCa: config.kojiServerCa || undefined,
      timeoutSeconds: config.kojiTimeoutSeconds,
    }),
  });
}

/**
 * Koschei's load rule: per served arch, the enabled hosts' capacity and their task load (a host
 * that is not ready counts as full); the headroom is what `threshold` of the capacity leaves free,
 * on the most loaded arch. Arches no host serves (noarch) do not limit.
 */
export function kojiHeadroom(hosts: KojiHost[], arches: string[], threshold: number): number {
  let headroom = Infinity;
  for (const arch of arches) {
    const serving = hosts.filter((h) => h.enabled !== false && h.arches.split(/\s+/).includes(arch));
    if (serving.length === 0) continue;
    const capacity = serving.reduce((sum, h) => sum + h.capacity, 0);
    const load = serving.reduce((sum, h) => sum + (h.ready ? Math.min(h.task_load, h.capacity) : h.capacity), 0);
    headroom = Math.min(headroom, threshold * capacity - load);
  }
  return headroom === Infinity ? 0 : Math.max(0, headroom);
}

/**
 * Where a build's source rpm lies below the hub's top directory, as Koji's pathinfo puts it:
 * `[vol/<volume>/]packages/<name>/<version>/<release>/src/<nvr>.src.rpm` (builds on a volume other
 * than DEFAULT live under vol/).
 */
export function srpmPath(root: string, build: KojiBuildInfo, srpm: KojiRpm): string {
  const volume = build.volume_name && build.volume_name !== 'DEFAULT' ? `vol/${build.volume_name}/` : '';
  return `${root}/${volume}packages/${build.name}/${build.version}/${build.release}/src/${srpm.name}-${srpm.version}-${srpm.release}.src.rpm`;
}

export class KojiWorker {
  readonly #db: Db;
  readonly #options: KojiWorkerOptions;
  readonly #client: KojiClient;
  readonly #logger: Logger;
  /** Tasks we already asked the hub to cancel (asking again after a restart is harmless). */
  readonly #cancelSent = new Set<number>();
  #channelId: number | undefined;
  readonly #poller: SerialPoller;

  constructor(db: Db, options: KojiWorkerOptions) {
    this.#db = db;
    this.#options = options;
    this.#client = options.client;
    this.#logger = (options.logger ?? createLogger()).scope({ label: 'koji', worker: options.name });
    this.#poller = new SerialPoller(() => this.#tick(), (error) => this.#logger.error('koji poll failed', { error }));
  }

  get name(): string {
    return this.#options.name;
  }

  async start(): Promise<void> {
    mkdirSync(this.#options.logDir, { recursive: true });
    // Capacity 0 until the hub tells how loaded it is.
    await registerBuilder(this.#db, { name: this.#options.name, backend: 'koji', arches: this.#options.arches, capacity: 0 });
    // Leases and liveness between polls, so a long poll (many logs to fetch) loses neither.
    const renew = async () => {
      await heartbeat(this.#db, this.#options.name);
      await this.#renew();
    };
    await this.#poller.start(this.#options.pollSeconds * 1000, {
      every: (this.#options.leaseSeconds * 1000) / 3,
      run: () => void renew().catch((error: unknown) => this.#logger.warn('lease renewal failed', { error })),
    });
  }

  /** One poll now, after the previous one (polls of one worker never overlap). */
  tick(): Promise<void> {
    return this.#poller.tick();
  }

  /**
   * Stops polling. Tasks keep running on the hub; their builds stay running and are adopted by
   * this worker's next start (same name) or, once the leases expire, by any koji worker.
   */
  async stop(): Promise<void> {
    await this.#poller.stop();
  }

  /**
   * Cancels build `buildId` through the ordinary cancel path (cancelBuilds: a queued build ends at
   * once, a running one is asked to stop) and, when its task runs on the hub, sends cancelTask now
   * rather than at the next poll. The build ends canceled once a poll sees the task CANCELED.
   */
  async cancel(buildId: number, by: string): Promise<CancelOutcome | undefined> {
    const [outcome] = await withTransaction(this.#db, (trx) => cancelBuilds(trx, [buildId], by));
    if (outcome?.state !== 'running') return outcome;
    const row = await this.#db.selectFrom('builds').select(['task_id', 'backend']).where('id', '=', buildId).executeTakeFirst();
    if (row?.backend === 'koji' && row.task_id !== null && !this.#cancelSent.has(row.task_id)) {
      try {
        await this.#client.cancelTask(row.task_id);
        this.#cancelSent.add(row.task_id);
      } catch (error) {
        if (!(error instanceof InfrastructureError || error instanceof KojiFault)) throw error;
        this.#logger.warn('cannot cancel the Koji task now; the next poll asks again', { build: buildId, task: row.task_id, error: error.message });
      }
    }
    return outcome;
  }

  async #tick(): Promise<void> {
    const me = await heartbeat(this.#db, this.#options.name);
    await this.#renew();
    const requeued = await reclaimExpired(this.#db, this.#options.retry);
    if (requeued.length) this.#logger.warn('builds of lost workers returned to the queue', { builds: requeued.map((r) => r.id) });

    await this.#poll(await this.#held());
    const held = await this.#held();
    for (const build of held.filter((b) => b.taskId === null)) {
      // Held without a task: submitted (or not) before this worker restarted.
      await this.#submit(build, { lookForEarlierTask: true, previousTask: null });
    }
    const capacity = await this.#capacity(held.length);
    if (!me || me.draining || this.#poller.stopped) return;
    const claimed = await claimBuilds(this.#db, { name: this.#options.name, backend: 'koji', arches: this.#options.arches, capacity },
      capacity - held.length, this.#options.leaseSeconds);
    for (const build of claimed) {
      const previousTask = await this.#forgetTask(build);
      const full = (await this.#held(build.id))[0];
      // Only a retried build can have been submitted by an earlier claim.
      if (full) await this.#submit(full, { lookForEarlierTask: build.attempt > 1, previousTask });
    }
  }

  /** Renews the leases of builds this worker holds and adopts koji builds whose worker was lost. */
  async #renew(): Promise<void> {
    const { name, leaseSeconds } = this.#options;
    const { rows } = await sql<{ id: number; adopted: boolean }>`
      update builds b set worker = ${name}, lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
      from builds old
      where old.id = b.id and b.id in (
        select id from builds
        where state = 'running' and backend = 'koji'
          and (worker = ${name} or (task_id is not null and lease_expires_at < now()))
        for update skip locked)
      returning b.id, old.worker is distinct from ${name} as adopted`.execute(this.#db);
    const adopted = rows.filter((r) => r.adopted).map((r) => r.id);
    if (adopted.length) this.#logger.warn('adopted koji builds of a lost worker', { builds: adopted });
  }

  async #held(id?: number): Promise<HeldBuild[]> {
    let query = this.#db.selectFrom('builds as b')
      .innerJoin('packages as p', 'p.id', 'b.package_id')
      .innerJoin('collections as c', 'c.id', 'p.collection_id')
      .select(['b.id', 'b.attempt', 'b.package_id as packageId', 'p.name as package', 'c.id as collectionId', 'c.name as collection',
        'c.format', 'c.sources', 'b.snapshot_id as snapshotId', 'b.arch', 'b.backend', 'b.task_id as taskId', 'b.cancel_requested as cancelRequested',
        'b.queued_at as queuedAt', 'b.started_at as startedAt', 'c.build_target as target'])
      .where('b.worker', '=', this.#options.name).where('b.state', '=', 'running').where('b.backend', '=', 'koji');
    if (id !== undefined) query = query.where('b.id', '=', id);
    return query.orderBy('b.id').execute() as Promise<HeldBuild[]>;
  }

  /** A freshly claimed retry still names the task of its previous attempt: clear it, return it. */
  async #forgetTask(build: ClaimedBuild): Promise<number | null> {
    const { rows } = await sql<{ task_id: number | null }>`
      update builds b set task_id = null from builds old
      where old.id = b.id and b.id = ${build.id} and b.attempt = ${build.attempt} and b.worker = ${this.#options.name}
      returning old.task_id`.execute(this.#db);
    return rows[0]?.task_id ?? null;
  }

  async #capacity(held: number): Promise<number> {
    const { maxBuilds, arches, koji } = this.#options;
    let capacity = held;
    try {
      if (this.#channelId === undefined) {
        const channel = await this.#client.getChannel(koji.channel);
        if (!channel) throw new InfrastructureError(`Koji has no channel '${koji.channel}' (RIPPLE_KOJI_CHANNEL)`);
        this.#channelId = channel.id;
      }
      const hosts = await this.#client.listHosts(arches, this.#channelId);
      capacity = Math.min(maxBuilds, held + Math.floor(kojiHeadroom(hosts, arches, koji.loadThreshold) / koji.buildLoad));
    } catch (error) {
      if (!(error instanceof InfrastructureError || error instanceof KojiFault)) throw error;
      this.#logger.warn('cannot read the Koji hub load; submitting nothing new', { error });
    }
    capacity = Math.max(capacity, 0);
    await this.#db.updateTable('builders').set({ capacity, last_seen: sql<Date>`now()` }).where('name', '=', this.#options.name).execute();
    return capacity;
  }

  async #submit(build: HeldBuild, { lookForEarlierTask, previousTask }: { lookForEarlierTask: boolean; previousTask: number | null }): Promise<void> {
    const logger = this.#logger.scope({ build: build.id, package: `${build.collection}/${build.package}`, attempt: build.attempt });
    if (build.cancelRequested) {
      await finishCanceled(this.#db, this.#options.name, build);
      return;
    }
    try {
      if (!build.target) {
        throw new InfrastructureError(`collection ${build.collection} has no build target (ripple collection edit ${build.collection} --target <koji target>)`);
      }
      const target = await this.#client.getBuildTarget(build.target);
      if (!target) throw new InfrastructureError(`Koji has no build target '${build.target}' (collection ${build.collection})`);
      const [latest] = await this.#client.getLatestBuilds(target.dest_tag_name, build.package);
      if (!latest) throw new InfrastructureError(`no build of ${build.package} in Koji tag ${target.dest_tag_name} (target ${build.target})`);
      const [srpm] = await this.#client.listSourceRpms(latest.build_id);
      if (!srpm) throw new InfrastructureError(`Koji build ${latest.nvr} has no source rpm`);
      const src = srpmPath(this.#options.koji.srpmPathRoot, latest, srpm);
      let taskId = lookForEarlierTask ? await this.#earlierTask(build, src, build.target, previousTask) : undefined;
      if (taskId !== undefined) logger.warn('found the task of an earlier submission of this build on the hub; adopting it', { task: taskId });
      else taskId = await this.#client.build(src, build.target, { scratch: true }, this.#options.koji.taskPriority);
      const recorded = await this.#db.updateTable('builds').set({ task_id: taskId, error: null })
        .where('id', '=', build.id).where('attempt', '=', build.attempt).where('worker', '=', this.#options.name).where('state', '=', 'running')
        .returning('id').executeTakeFirst();
      if (recorded) {
        logger.info('koji scratch build submitted', { task: taskId, src, target: build.target });
      } else {
        // The build was taken from us meanwhile: leave no task behind that nobody follows.
        logger.warn('lost the build while submitting it; canceling its task', { task: taskId });
        await this.#client.cancelTask(taskId);
      }
    } catch (error) {
      if (!(error instanceof InfrastructureError || error instanceof KojiFault)) throw error;
      const retried = await failInfrastructure(this.#db, this.#options.name, build, `koji submission: ${error.message}`, this.#options.retry);
      logger.warn('koji submission failed (infrastructure; retried with backoff)', { error: error.message, retried });
    }
  }

  /** Our build task for `src` on `target` created since the build was queued and recorded nowhere. */
  async #earlierTask(build: HeldBuild, src: string, target: string, previousTask: number | null): Promise<number | undefined> {
    const tasks = await this.#client.listOwnBuildTasks(build.queuedAt.getTime() / 1000);
    const matching = tasks.filter((t) => t.id > (previousTask ?? 0) && Array.isArray(t.request) && t.request[0] === src && t.request[1] === target);
    if (matching.length === 0) return undefined;
    const taken = new Set((await this.#db.selectFrom('builds').select('task_id').where('task_id', 'in', matching.map((t) => t.id)).execute()).map((r) => r.task_id));
    return matching.map((t) => t.id).find((id) => !taken.has(id));
  }

  async #poll(held: HeldBuild[]): Promise<void> {
    const withTask = held.filter((b) => b.taskId !== null);
    if (withTask.length === 0) return;
    let answers;
    try {
      answers = await this.#client.multiCall(withTask.map((b) => ({ method: 'getTaskInfo', params: [b.taskId!] })));
    } catch (error) {
      if (!(error instanceof InfrastructureError || error instanceof KojiFault)) throw error;
      // The tasks run on regardless; the next poll asks again (leases are renewed meanwhile).
      this.#logger.warn('cannot poll Koji tasks; asking again next poll', { error: error.message, tasks: withTask.map((b) => b.taskId) });
      return;
    }
    for (const [i, build] of withTask.entries()) {
      const info = answers[i];
      const logger = this.#logger.scope({ build: build.id, package: `${build.collection}/${build.package}`, task: build.taskId });
      try {
        if (info instanceof KojiFault) throw info;
        if (info === null) {
          await failInfrastructure(this.#db, this.#options.name, build, `Koji task ${build.taskId} does not exist on the hub`, this.#options.retry);
          logger.warn('Koji does not know the task; the build is retried');
          continue;
        }
        const task = info as unknown as KojiTaskInfo;
        if (typeof task?.state !== 'number') throw new InfrastructureError(`getTaskInfo(${build.taskId}) answered ${JSON.stringify(info)}`);
        await this.#advance(build, task, logger);
      } catch (error) {
        if (!(error instanceof InfrastructureError || error instanceof KojiFault)) throw error;
        logger.warn('cannot follow the Koji task; asking again next poll', { error: error.message });
      }
    }
  }

  async #advance(build: HeldBuild, task: KojiTaskInfo & { start_ts?: unknown; completion_ts?: unknown }, logger: Logger): Promise<void> {
    const taskId = build.taskId!;
    switch (task.state) {
      case TaskState.CLOSED:
      case TaskState.FAILED: {
        let fault: KojiFault | undefined;
        if (task.state === TaskState.FAILED) {
          try {
            await this.#client.getTaskResult(taskId);
          } catch (error) {
            if (!(error instanceof KojiFault)) throw error;
            fault = error;
          }
          if (fault && !fault.isKojiError) {
            // An exception inside Koji, not the build failing (Koschei's is_koji_fault).
            await failInfrastructure(this.#db, this.#options.name, build, `Koji task ${taskId} failed inside Koji: ${fault.faultString}`, this.#options.retry);
            logger.warn('Koji fault (infrastructure; retried)', { fault: fault.faultString });
            return;
          }
        }
        const logPath = await this.#storeLogs(build, task, fault);
        const durationMs = typeof task.start_ts === 'number' && typeof task.completion_ts === 'number'
          ? (task.completion_ts - task.start_ts) * 1000
          : Date.now() - (build.startedAt?.getTime() ?? Date.now());
        const finished = await finishBuild(this.#db, this.#options.name, build,
          { succeeded: task.state === TaskState.CLOSED, exitStatus: null, logPath, durationMs: Math.max(0, durationMs) }, this.#options.policies);
        if (finished) logger.info('koji build finished', { outcome: finished.outcome, state: finished.state });
        return;
      }
      case TaskState.CANCELED: {
        // Canceled on the hub by someone else: record who, then end it like any cancel.
        if (!build.cancelRequested) await withTransaction(this.#db, (trx) => cancelBuilds(trx, [build.id], `koji hub (task ${taskId})`));
        await finishCanceled(this.#db, this.#options.name, build);
        logger.info('koji build canceled');
        return;
      }
      default:
        if (!build.cancelRequested && build.startedAt && Date.now() - build.startedAt.getTime() > this.#options.timeoutSeconds * 1000) {
          // A task stuck on the hub (no free host, a hung buildroot) would hold a slot forever.
          await this.#client.cancelTask(taskId);
          this.#cancelSent.add(taskId);
          await failInfrastructure(this.#db, this.#options.name, build,
            `Koji task ${taskId} still ${taskStateName(task.state)} after ${this.#options.timeoutSeconds} s: canceled on the hub`, this.#options.retry);
          logger.warn('koji task timed out; canceled and retried (infrastructure)', { state: taskStateName(task.state) });
          return;
        }
        if (build.cancelRequested && !this.#cancelSent.has(taskId)) {
          await this.#client.cancelTask(taskId);
          this.#cancelSent.add(taskId);
          logger.info('asked the hub to cancel the task', { state: taskStateName(task.state) });
        }
    }
  }

  /** Writes the task's and its children's *.log files (build.log and root.log first) to the build's log. */
  async #storeLogs(build: HeldBuild, task: KojiTaskInfo, fault: KojiFault | undefined): Promise<string> {
    const parts = [`Koji task ${task.id} (${task.method}) ${taskStateName(task.state)}${fault ? `: ${fault.faultString}` : ''}\n`];
    const first = ['build.log', 'root.log'];
    const rank = (file: string) => (first.includes(file) ? first.indexOf(file) : first.length);
    for (const t of [task, ...await this.#client.getTaskChildren(task.id)]) {
      const files = (await this.#client.listTaskOutput(t.id)).filter((f) => f.endsWith('.log')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
      for (const file of files) {
        const chunks: Buffer[] = [];
        for (let offset = 0; ; offset += chunkSize) {
          const chunk = await this.#client.downloadTaskOutput(t.id, file, offset, chunkSize);
          chunks.push(chunk);
          if (chunk.length < chunkSize) break;
        }
        parts.push(`\n==> task ${t.id} (${t.method}${t.arch ? ` ${t.arch}` : ''}) ${file} <==\n${Buffer.concat(chunks).toString('utf8')}`);
      }
    }
    const logPath = join(this.#options.logDir, `${build.id}.log`);
    await writeFile(logPath, parts.join(''));
    return logPath;
  }
}
