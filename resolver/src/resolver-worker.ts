/**
 * One worker of a ResolverPool: its own WebAssembly instance and libsolv pool, built once from
 * the encoded repositories the main thread shares, then resolving batches of sources.
 */
import { parentPort } from 'node:worker_threads';
import { RippleError } from '../../src/errors.ts';
import type { EncodedRepository } from './encoding.ts';
import { packResolution, transferables, type PackedResolution } from './packed-resolution.ts';
import { SolverPool, type BaseSpec, type ResolveOptions } from './solver-pool.ts';
import type { DistType, SourcePackage } from './types.ts';

export type WorkerRequest =
  | { type: 'init'; distType: DistType; arch: string; repositories: { name: string; encoded: EncodedRepository }[]; base?: BaseSpec; options: ResolveOptions }
  | { type: 'batch'; id: number; sources: SourcePackage[]; options: ResolveOptions }
  /** The pool is closed: free its libsolv pool and wait, idle, for the next init. */
  | { type: 'release' };

export interface WorkerError { message: string; code?: string; details?: Record<string, unknown> }

export type WorkerReply =
  | { type: 'ready'; base?: PackedResolution }
  | { type: 'done'; id: number; results: PackedResolution[] }
  | { type: 'released' }
  | { type: 'failed'; id?: number; error: WorkerError };

const port = parentPort!;
let pool: SolverPool | undefined;

function describe(error: unknown): WorkerError {
  if (error instanceof RippleError) return { message: error.message, code: error.code, details: error.details };
  return { message: error instanceof Error ? error.message : String(error) };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  if (request.type === 'release' || request.type === 'init') {
    pool?.free();
    pool = undefined;
  }
  if (request.type === 'release') return { type: 'released' };
  if (request.type === 'init') {
    pool = await SolverPool.create({ distType: request.distType, arch: request.arch });
    for (const { name, encoded } of request.repositories) pool.addEncodedRepository(name, encoded);
    return { type: 'ready', base: request.base && packResolution(pool.setBase(request.base, request.options)) };
  }
  const solver = pool!;
  return { type: 'done', id: request.id, results: request.sources.map((source) => packResolution(solver.resolve(source, request.options))) };
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply, transferables(reply.type === 'done' ? reply.results : reply.type === 'ready' && reply.base ? [reply.base] : [])),
    (error: unknown) => port.postMessage({ type: 'failed', id: request.type === 'batch' ? request.id : undefined, error: describe(error) } satisfies WorkerReply),
  );
});
