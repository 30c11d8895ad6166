/**
 * What a builder does with a claimed build. `local` runs the configured command (rpmbuild,
 * dpkg-buildpackage, mock, any script) in a fresh work directory with a timeout; `simulation`
 * derives a duration and an outcome from a seed and the package name, for demos and benchmarks.
 * An executor throws `InfrastructureError` for failures that say nothing about the package.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sourceLocations, type CollectionRow } from '../resolution/collection-settings.ts';
import type { ClaimedBuild } from './build-queue.ts';
import { fetchSourceRpm, findSourceRpm } from './srpm-locator.ts';

export class InfrastructureError extends Error {
  override name = 'InfrastructureError';
}

export interface ExecutionContext {
  logPath: string;
  workdir: string;
  /** Aborted when the worker loses the build (lease taken over) or stops. */
  signal: AbortSignal;
}

export interface ExecutionResult {
  succeeded: boolean;
  exitStatus: number | null;
}

export type BuildExecutor = (build: ClaimedBuild, context: ExecutionContext) => Promise<ExecutionResult>;

/** Environment variable carrying placeholder `{name}`'s value to the command. */
const variableOf = (name: string) => `RIPPLE_BUILD_${name.toUpperCase()}`;

/**
 * Turns `{name}` placeholders into references to environment variables, quoted for where they
 * stand (bare, inside "..." or inside '...'), so values with spaces or quotes stay one word and are
 * never parsed as shell syntax. Unknown placeholders are left alone.
 */
export function expandCommand(template: string, names: readonly string[]): string {
  let out = '';
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < template.length; i++) {
    const char = template[i]!;
    const match = /^\{([a-z]+)\}/.exec(template.slice(i));
    if (match && names.includes(match[1]!)) {
      const reference = `\${${variableOf(match[1]!)}}`;
      out += quote === '"' ? reference : quote === "'" ? `'"${reference}"'` : `"${reference}"`;
      i += match[0].length - 1;
      continue;
    }
    if (char === '\\' && quote !== "'") {
      out += char + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if ((char === '"' || char === "'") && (quote === null || quote === char)) quote = quote ? null : char;
    out += char;
  }
  return out;
}

export function localExecutor(commandTemplate: string, timeoutSeconds: number): BuildExecutor {
  return async (build, { logPath, workdir, signal }) => {
    const values: Record<string, string> = { workdir, package: build.package, arch: build.arch ?? '' };
    if (commandTemplate.includes('{srpm}')) {
      if (build.format !== 'rpm-md') throw new InfrastructureError(`{srpm} needs an rpm-md collection; ${build.collection} is ${build.format}`);
      try {
        const locations = sourceLocations({ name: build.collection, sources: build.sources } as CollectionRow);
        values.srpm = await fetchSourceRpm(await findSourceRpm(locations, build.package), workdir);
      } catch (error) {
        throw new InfrastructureError(`cannot get the source rpm: ${(error as Error).message}`, { cause: error });
      }
    }
    const command = expandCommand(commandTemplate, Object.keys(values));
    const env = { ...process.env, ...Object.fromEntries(Object.entries(values).map(([k, v]) => [variableOf(k), v])) };
    const log = createWriteStream(logPath);
    log.write(`$ ${command}\n`);
    // Its own process group, so a timeout or an abort kills the whole build, not just sh.
    const child = spawn('sh', ['-c', command], { cwd: workdir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    let why: string | undefined;
    const kill = (reason: string) => {
      why ??= reason;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutSeconds} s`), timeoutSeconds * 1000);
    // A cancel passes its reason as a string; a lost lease or a stopping worker aborts without one.
    const onAbort = () => kill(typeof signal.reason === 'string' ? signal.reason : 'aborted: the worker no longer holds the build');
    signal.addEventListener('abort', onAbort);
    // Aborted while the command was being prepared: the event has fired already.
    if (signal.aborted) onAbort();
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exit) => resolve(exit));
    }).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
    await new Promise<void>((resolve) => log.end(`\n[exit status ${code ?? 'none'}${why ? `: ${why}` : ''}]\n`, resolve));
    if (why) throw new InfrastructureError(why);
    return { succeeded: code === 0, exitStatus: code };
  };
}

/** A number in [0, 1) from the seed, the package name and a purpose label. */
function unit(seed: number, name: string, purpose: string): number {
  return createHash('sha256').update(`${seed}\0${name}\0${purpose}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Simulated duration (seconds, 1 min to ~2 h, skewed short like real builds) and outcome (10% fail). */
export function simulatedBuild(seed: number, name: string): { seconds: number; succeeded: boolean } {
  return { seconds: Math.round(60 * 120 ** unit(seed, name, 'duration')), succeeded: unit(seed, name, 'outcome') >= 0.1 };
}

export function simulationExecutor(seed: number, timeScale: number): BuildExecutor {
  return async (build, { logPath, signal }) => {
    const { seconds, succeeded } = simulatedBuild(seed, build.package);
    await sleep(seconds * timeScale * 1000, undefined, { signal }).catch(() => {
      throw new InfrastructureError('aborted: the worker no longer holds the build');
    });
    const log = createWriteStream(logPath);
    await new Promise<void>((resolve) => log.end(`simulated build of ${build.package} (seed ${seed}): ${seconds} s, ${succeeded ? 'succeeded' : 'failed'}\n`, resolve));
    return { succeeded, exitStatus: succeeded ? 0 : 1 };
  };
}
