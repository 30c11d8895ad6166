/**
 * A builder worker (PkgForge-style build daemon): registers in `builders`, claims queued builds of
 * its backend and architectures up to its capacity, renews their leases while they run, stores
 * each log under `<dataDir>/logs/<build id>.log`, and records the result. Workers on other machines
 * share the queue through the database alone. Any worker also returns builds whose lease expired
 * (their worker died) to the queue.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { BuildBackend } from '../db/schema.ts';
import type { PolicySet } from '../gating/policies.ts';
import { createLogger, type Logger } from '../log.ts';
import { finishBuild } from './build-completion.ts';
import { InfrastructureError, localExecutor, simulationExecutor, type BuildExecutor } from './build-executors.ts';
import {
  claimBuilds, failInfrastructure, finishCanceled, heartbeat, reclaimExpired, registerBuilder, renewLeases, type ClaimedBuild, type RetrySettings,
} from './build-queue.ts';
import { SerialPoller } from './serial-poller.ts';

export interface WorkerOptions {
  name: string;
  backend: BuildBackend;
  arches: string[];
  capacity: number;
  leaseSeconds: number;
  retry: RetrySettings;
  executor: BuildExecutor;
  /** Logs go to `<logDir>/<build id>.log`. */
  logDir: string;
  /** How often an idle worker looks for work (default a third of the lease). */
  pollSeconds?: number;
  policies?: PolicySet;
  logger?: Logger;
}

/** settled: the command ended and its result is being recorded (the lease may end any moment). */
interface Running { build: ClaimedBuild; controller: AbortController; done: Promise<void>; canceled: boolean; settled: boolean }

export const logDirectory = (config: Config) => join(config.dataDir, 'logs');

/** The abort reason executors see when someone canceled the build (they note it in the log). */
export const canceledReason = 'canceled';

export function workerFromConfig(db: Db, config: Config): BuildWorker {
  return new BuildWorker(db, {
    name: config.builderName || `${hostname()}:${process.pid}`,
    backend: config.builderBackend,
    arches: config.builderArches.split(',').map((a) => a.trim()).filter(Boolean),
    capacity: config.builderCapacity,
    leaseSeconds: config.buildLeaseSeconds,
    retry: { maxAttempts: config.buildMaxAttempts, backoffSeconds: config.buildRetryBackoffSeconds },
    executor: config.builderBackend === 'simulation'
      ? simulationExecutor(config.simulationSeed, config.simulationTimeScale)
      : localExecutor(config.buildCommand, config.buildTimeoutSeconds),
    logDir: logDirectory(config),
  });
}

export class BuildWorker {
  readonly running = new Map<number, Running>();
  readonly #db: Db;
  readonly #options: WorkerOptions;
  readonly #logger: Logger;
  readonly #poller: SerialPoller;

  constructor(db: Db, options: WorkerOptions) {
    this.#db = db;
    this.#options = options;
    this.#logger = (options.logger ?? createLogger()).scope({ label: 'builder', worker: options.name });
    this.#poller = new SerialPoller(() => this.#tick(), (error) => this.#logger.warn('builder tick failed', { error }));
  }

  get name(): string {
    return this.#options.name;
  }

  async start(): Promise<void> {
    mkdirSync(this.#options.logDir, { recursive: true });
    await registerBuilder(this.#db, this.#options);
    const poll = (this.#options.pollSeconds ?? this.#options.leaseSeconds / 3) * 1000;
    await this.#poller.start(poll, { every: (this.#options.leaseSeconds * 1000) / 3, run: () => void this.#renew() });
  }

  /** Heartbeat, reclaim expired leases, claim what fits. Serialised per worker. */
  tick(): Promise<void> {
    return this.#poller.tick();
  }

  async #tick(): Promise<void> {
    const me = await heartbeat(this.#db, this.#options.name);
    // Renewing also picks up cancel requests, so a cancel takes at most one poll to act.
    await this.#renew();
    const requeued = await reclaimExpired(this.#db, this.#options.retry);
    if (requeued.length) this.#logger.warn('builds of lost workers returned to the queue', { builds: requeued.map((r) => r.id) });
    if (!me || me.draining || this.#poller.stopped) return;
    const claimed = await claimBuilds(this.#db, this.#options, this.#options.capacity - this.running.size, this.#options.leaseSeconds);
    for (const build of claimed) {
      const controller = new AbortController();
      const entry: Running = { build, controller, done: Promise.resolve(), canceled: false, settled: false };
      this.running.set(build.id, entry);
      entry.done = this.#run(entry).finally(() => {
        this.running.delete(build.id);
        if (!this.#poller.stopped) void this.tick();
      });
    }
  }

  async #renew(): Promise<void> {
    const held = [...this.running.values()].map((r) => r.build);
    try {
      const still = new Map((await renewLeases(this.#db, this.#options.name, held, this.#options.leaseSeconds)).map((r) => [r.id, r.cancelRequested]));
      for (const build of held) {
        const entry = this.running.get(build.id);
        // Gone or settled: it finished here while the renewal ran.
        if (!entry || entry.settled) continue;
        if (!still.has(build.id)) {
          this.#logger.warn('lost the lease of a build; stopping it', { build: build.id });
          entry.controller.abort();
        } else if (still.get(build.id) && !entry.canceled) {
          this.#logger.info('build canceled; stopping it', { build: build.id });
          entry.canceled = true;
          entry.controller.abort(canceledReason);
        }
      }
    } catch (error) {
      this.#logger.warn('lease renewal failed', { error });
    }
  }

  async #run(entry: Running): Promise<void> {
    const { build, controller: { signal } } = entry;
    const logPath = join(this.#options.logDir, `${build.id}.log`);
    const workdir = await mkdtemp(join(tmpdir(), `ripple-build-${build.id}-`));
    const started = Date.now();
    const logger = this.#logger.scope({ build: build.id, package: `${build.collection}/${build.package}`, attempt: build.attempt });
    logger.info('build started');
    try {
      const result = await this.#options.executor(build, { logPath, workdir, signal }).catch((error: unknown) => {
        if (!entry.canceled) throw error;
        return null;
      });
      if (entry.canceled) {
        entry.settled = true;
        const recorded = await finishCanceled(this.#db, this.#options.name, build, logPath);
        logger.info('build canceled', { recorded });
        return;
      }
      if (signal.aborted || !result) return;
      entry.settled = true;
      const finished = await finishBuild(this.#db, this.#options.name, build, { ...result, logPath, durationMs: Date.now() - started }, this.#options.policies);
      if (finished) logger.info('build finished', { outcome: finished.outcome, state: finished.state });
      else logger.warn('build result discarded: the lease was lost meanwhile');
    } catch (error) {
      if (signal.aborted && !this.#poller.stopped) return;
      const message = error instanceof InfrastructureError ? error.message : `unexpected: ${(error as Error).message}`;
      if (!(error instanceof InfrastructureError)) logger.error('build failed unexpectedly', { error });
      entry.settled = true;
      const retried = await failInfrastructure(this.#db, this.#options.name, build, message, this.#options.retry)
        .catch((failure: unknown) => logger.warn('could not record the infrastructure failure; the lease will expire', { error: failure }));
      logger.warn('infrastructure failure', { error: message, retried });
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  }

  /** Stops claiming; running builds are aborted and go back to the queue as infrastructure failures. */
  async stop(): Promise<void> {
    await this.#poller.stop();
    for (const r of this.running.values()) r.controller.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}
