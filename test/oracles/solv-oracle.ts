/**
 * Runs solv-oracle.py, the reference resolver on native libsolv (Debian's python3-solv), and
 * returns its verdicts. The script documents the exact job it builds for each package.
 */
import { spawn } from 'node:child_process';
import { ErrorCode, RippleError } from '../../src/errors.ts';

/** Debian's interpreter, which has the solv module; a pyenv python3 earlier on PATH does not. */
const python = '/usr/bin/python3';
const script = new URL('solv-oracle.py', import.meta.url).pathname;

export interface SolvOracleOptions {
  /** rpm-md repository directories (each with repodata/repomd.xml), earliest first. */
  repos: string[];
  /** `sources`: buildroot per arch=src package; `binaries`: installability per binary package. */
  mode: 'sources' | 'binaries';
  arch?: string;
  /** A comps group (mandatory and default members) or package names installed in every job. */
  base?: { group: string } | string[];
  /** Honour Recommends (off by default, as for buildroots). */
  weakDeps?: boolean;
  /** `merge`: every repository visible; `replace`: a source in a later repository hides it in earlier ones. */
  overlay?: 'merge' | 'replace';
  /** Check only packages with these names. */
  only?: string[];
}

export interface OracleResult {
  name: string;
  /** `[epoch:]version-release` */
  evr: string;
  arch: string;
  resolved: boolean;
  /** Sorted `name-[epoch:]version-release.arch` of every package the job installs. */
  buildroot: string[];
  /** libsolv's text for every rule involved in every problem; empty when resolved. */
  problems: string[];
}

export function runSolvOracle(options: SolvOracleOptions): Promise<OracleResult[]> {
  const request = { arch: 'x86_64', base: [], weakDeps: false, overlay: 'merge', ...options };
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) =>
      reject(new RippleError(ErrorCode.MissingPrerequisite, `cannot run ${python} (run scripts/install-test-tools.sh)`, {}, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve(JSON.parse(stdout) as OracleResult[]);
      const message = stderr.trim() || `${script} exited with ${code}`;
      reject(
        code === 2
          ? new RippleError(ErrorCode.InvalidInput, message, { field: 'options' })
          : new RippleError(ErrorCode.MissingPrerequisite, `${message} (is python3-solv installed? run scripts/install-test-tools.sh)`),
      );
    });
    child.stdin.end(JSON.stringify(request));
  });
}
