/**
 * Resolves many sources in parallel: one worker thread (and WebAssembly instance) per core, each
 * holding the same libsolv pool. Repositories are encoded once here into SharedArrayBuffers, so
 * workers receive bytes without copies or object cloning. A pool stays warm across resolveAll calls,
 * and its threads outlive it for the next pool (see idle).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ErrorCode, RippleError, type ErrorCode as Code } from '../../src/errors.ts';
import { RepositoryEncoder, type EncodedRepository } from './encoding.ts';
import { unpackResolution } from './packed-resolution.ts';
import type { WorkerError, WorkerReply, WorkerRequest } from './resolver-worker.ts';
import type { BaseSpec, Resolution, ResolveOptions } from './solver-pool.ts';
import type { BinaryPackage, DistType, SourcePackage } from './types.ts';

export interface ResolverPoolOptions {
  /** Worker count; default os.availableParallelism(). */
  size?: number;
  distType: DistType;
  arch: string;
  repositories: { name: string; packages: BinaryPackage[] }[];
  base?: BaseSpec;
  /** Defaults for the base and for every resolveAll. */
  options?: ResolveOptions;
}

const workerUrl = new URL('./resolver-worker-bootstrap.mjs', import.meta.url);

/** One per architecture: each pool's repositories are mostly the packages of the pool before it. */
const encoders = new Map<string, RepositoryEncoder>();

function encodeShared(name: string, packages: BinaryPackage[], arch: string): EncodedRepository {
  let encoder = encoders.get(arch);
  if (!encoder) encoders.set(arch, (encoder = new RepositoryEncoder(arch)));
  return encoder.encode(name, packages, { shared: true });
}

function toError(error: WorkerError): RippleError {
  return new RippleError((error.code as Code | undefined) ?? ErrorCode.ResolverFailed, error.message, error.details ?? {});
}

class PoolWorker {
  private pending: { resolve(reply: WorkerReply): void; reject(error: Error): void } | undefined;
  /** False once the thread failed or ended: it is never reused. */
  healthy = true;

  constructor(readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.type === 'failed') pending?.reject(toError(reply.error));
      else pending?.resolve(reply);
    });
    worker.on('error', (error) => this.fail(new RippleError(ErrorCode.ResolverFailed, `resolver worker crashed: ${error.message}`, {}, { cause: error })));
    worker.on('exit', (code) => this.fail(new RippleError(ErrorCode.ResolverFailed, `resolver worker exited with code ${code}`)));
  }

  /** Workers answer one request at a time, so one pending slot suffices. */
  request(message: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  private fail(error: Error): void {
    this.healthy = false;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

/**
 * Threads of closed pools, their libsolv pools freed, kept for the next pool: starting a thread
 * and loading the worker module costs a few hundred ms, which every regeneration would otherwise
 * pay. Idle threads are unreferenced (they never keep the process alive) and end after IDLE_MS
 * unused, since each keeps its WebAssembly memory at its high-water mark.
 */
const idle: PoolWorker[] = [];
const IDLE_MS = 10 * 60_000;
let idleTimer: NodeJS.Timeout | undefined;

function takeWorkers(size: number): PoolWorker[] {
  const reused: PoolWorker[] = [];
  while (reused.length < size && idle.length) {
    const w = idle.shift()!;
    if (!w.healthy) continue;
    w.worker.ref();
    reused.push(w);
  }
  return [...reused, ...Array.from({ length: size - reused.length }, () => new PoolWorker(new Worker(workerUrl, { execArgv: [] })))];
}

async function giveBack(workers: PoolWorker[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    // A thread still busy (a caller gave up on a resolveAll) or failed is not worth keeping.
    const released = w.healthy && !w.busy && await w.request({ type: 'release' }).then((r) => r.type === 'released', () => false);
    if (!released || idle.length >= availableParallelism()) {
      await w.worker.terminate();
      return;
    }
    w.worker.unref();
    idle.push(w);
  }));
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void Promise.all(idle.splice(0).map((w) => w.worker.terminate())), IDLE_MS).unref();
}

export class ResolverPool {
  private constructor(
    private readonly workers: PoolWorker[],
    private readonly options: ResolveOptions,
    /** The base buildroot's resolution (from the first worker), when a base was given. */
    readonly base: Resolution | undefined,
  ) {}

  static async create(options: ResolverPoolOptions): Promise<ResolverPool> {
    // Threads first: new ones start while the repositories are encoded here.
    const workers = takeWorkers(Math.max(1, options.size ?? availableParallelism()));
    const repositories = options.repositories.map(({ name, packages }) => ({ name, encoded: encodeShared(name, packages, options.arch) }));
    const init: WorkerRequest = { type: 'init', distType: options.distType, arch: options.arch, repositories, base: options.base, options: options.options ?? {} };
    try {
      const replies = await Promise.all(workers.map((w) => w.request(init)));
      const first = replies[0];
      return new ResolverPool(workers, options.options ?? {}, first.type === 'ready' && first.base ? unpackResolution(first.base) : undefined);
    } catch (error) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw error;
    }
  }

  /**
   * Resolutions in the order of `sources`. Rejects with the first worker error (e.g. a broken base).
   * Sources with exactly the same build dependencies (a quarter of Debian: `debhelper-compat (= 13)`
   * alone is 1,149 sources) are solved once and share the result.
   */
  async resolveAll(
    sources: SourcePackage[],
    { onProgress, options = this.options }: { onProgress?(done: number, total: number): void; options?: ResolveOptions } = {},
  ): Promise<Resolution[]> {
    const jobOf = (s: SourcePackage) => JSON.stringify([s.buildRequires, s.buildConflicts]);
    const unique = new Map<string, number>();
    const distinct: SourcePackage[] = [];
    const slot = sources.map((source) => {
      const key = jobOf(source);
      let at = unique.get(key);
      if (at === undefined) {
        at = distinct.push(source) - 1;
        unique.set(key, at);
      }
      return at;
    });
    const solved = await this.solveDistinct(distinct, options, onProgress && ((done, total) => onProgress(Math.round((done / total) * sources.length), sources.length)));
    return slot.map((at) => solved[at]!);
  }

  private async solveDistinct(sources: SourcePackage[], options: ResolveOptions, onProgress?: (done: number, total: number) => void): Promise<Resolution[]> {
    if (this.workers.length === 0) throw new RippleError(ErrorCode.ResolverFailed, 'the resolver pool is closed');
    const results: Resolution[] = new Array(sources.length);
    // Small batches keep every worker busy until the end; larger ones cut message overhead.
    const batch = Math.max(1, Math.min(32, Math.ceil(sources.length / (this.workers.length * 8))));
    let next = 0;
    let done = 0;
    let id = 0;
    await Promise.all(
      this.workers.map(async (worker) => {
        while (next < sources.length) {
          const start = next;
          next = Math.min(sources.length, next + batch);
          const reply = await worker.request({ type: 'batch', id: id++, sources: sources.slice(start, next), options }).catch((error: unknown) => {
            next = sources.length; // the other workers stop after their current batch
            throw error;
          });
          if (reply.type !== 'done') throw new RippleError(ErrorCode.ResolverFailed, `resolver worker answered '${reply.type}' to a batch`);
          for (let i = 0; i < reply.results.length; i++) results[start + i] = unpackResolution(reply.results[i]!);
          done += reply.results.length;
          onProgress?.(done, sources.length);
        }
      }),
    );
    return results;
  }

  /** The worker threads' ids (a closed pool's threads serve the next pool). */
  get threadIds(): number[] {
    return this.workers.map((w) => w.worker.threadId);
  }

  /** Frees the pool; its threads wait for the next pool (see idle). A second close does nothing. */
  close(): Promise<void> {
    return giveBack(this.workers.splice(0));
  }
}
