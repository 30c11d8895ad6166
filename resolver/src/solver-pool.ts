/**
 * A libsolv pool in this thread: repositories, an optional base buildroot, and resolutions.
 * Every resolution starts with nothing installed; the buildroot is everything the solver decides
 * to install. The glue keeps one solver (and its package rules) across resolutions with the same
 * base and options, with results equal to a fresh solver's (glue/ripple-glue.c says why).
 */
import { ErrorCode, RippleError } from '../../src/errors.ts';
import { encodeRepository, Encoder, JobKind, type EncodedRepository } from './encoding.ts';
import { copyIn, copyInInts, copyInString, loadLibsolv, type LibsolvModule } from './libsolv-module.ts';
import type { BinaryPackage, Dependency, DistType, SourcePackage } from './types.ts';

/** A binary package: `index` into the array given to `addRepository`, whose call returned `repository`. */
export interface PackageRef { repository: number; index: number }

export interface BuildrootMember {
  package: PackageRef;
  /**
   * 1 = provides a requested dependency, n + 1 = satisfies a requires (or, with weak dependencies,
   * a recommends) of a member at n. null for base members and for members no such chain reaches.
   */
  distance: number | null;
  base: boolean;
}

/** One libsolv problem: every rule sentence behind it, plus the packages and dependencies those rules name. */
export interface Problem { sentences: string[]; packages: PackageRef[]; dependencies: string[] }

export type Resolution = { resolved: true; members: BuildrootMember[] } | { resolved: false; problems: Problem[] };

export interface ResolveOptions {
  /** Install Recommends (default false: SOLVER_FLAG_IGNORE_RECOMMENDED). */
  weakDependencies?: boolean;
  /** Keep only the first alternative of a top-level `or` in a source's build dependencies (sbuild's rule). */
  firstAlternativeOnly?: boolean;
}

export interface BaseSpec { install: Dependency[]; includeEssential?: boolean }

const FLAG_WEAK = 1;
const SYSTEM_SOLVABLE = 1;
const STATE_UNREACHED = -1;
const STATE_BASE = -2;

export class SolverPool {
  private pool: number;
  private readonly repositories: { start: number; count: number }[] = [];
  private readonly essential = new Set<string>();
  private readonly jobs: Encoder;
  private readonly decoder = new TextDecoder();
  private jobCount = 0;
  /** Solvable ids of the last successful resolution, so setBase can keep them. */
  private lastMembers: number[] = [];
  private baseIds: number[] = [];
  private baseProblems: Problem[] | undefined;

  private constructor(private readonly mod: LibsolvModule, distType: DistType, private readonly arch: string) {
    this.jobs = new Encoder(arch);
    const archPtr = copyInString(mod, arch);
    this.pool = mod._ripple_pool_create(distType === 'deb' ? 1 : 0, archPtr);
    mod._free(archPtr);
  }

  static async create(options: { distType: DistType; arch: string }): Promise<SolverPool> {
    return new SolverPool(await loadLibsolv(), options.distType, options.arch);
  }

  /** Adds a repository; returns its number for PackageRef. */
  addRepository(name: string, packages: BinaryPackage[]): number {
    return this.addEncodedRepository(name, encodeRepository(name, packages, this.arch));
  }

  /** Same as addRepository, from an encoding made elsewhere (e.g. once in the main thread for all workers). */
  addEncodedRepository(name: string, encoded: EncodedRepository): number {
    const mod = this.live();
    const namePtr = copyInString(mod, name);
    const strings = copyIn(mod, encoded.strings);
    const records = copyInInts(mod, encoded.records);
    const start = mod._ripple_add_repo(this.pool, namePtr, strings, encoded.stringCount, records, encoded.packageCount);
    mod._free(namePtr);
    mod._free(strings);
    mod._free(records);
    this.repositories.push({ start, count: encoded.packageCount });
    for (const name of encoded.essential) this.essential.add(name);
    return this.repositories.length - 1;
  }

  /**
   * Resolves the base buildroot once (rpm: the build group's packages; Debian: build-essential
   * plus Essential:yes) and makes every later `resolve` start from exactly these packages.
   */
  setBase(base: BaseSpec, options: ResolveOptions = {}): Resolution {
    this.baseIds = [];
    this.baseProblems = undefined;
    this.startJobs();
    for (const dep of base.install) this.require(dep, 'base install');
    if (base.includeEssential) {
      for (const name of [...this.essential].sort()) {
        this.job(JobKind.Name);
        this.jobs.int(this.jobs.string(name));
      }
    }
    const resolution = this.solve(options);
    if (!resolution.resolved) {
      this.baseProblems = resolution.problems;
      return resolution;
    }
    this.baseIds = this.lastMembers;
    return { resolved: true, members: resolution.members.map((m) => ({ ...m, distance: null, base: true })) };
  }

  /** The buildroot of one source package (base members included, marked base). */
  resolve(source: SourcePackage, options: ResolveOptions = {}): Resolution {
    if (this.baseProblems) {
      const first = this.baseProblems[0]?.sentences.join('; ') ?? 'no details';
      throw new RippleError(ErrorCode.ResolverFailed, `cannot resolve ${source.name}: the base buildroot is not installable (${first})`, {
        source: source.name,
        problems: this.baseProblems,
      });
    }
    this.startJobs();
    for (const id of this.baseIds) {
      this.job(JobKind.Base);
      this.jobs.int(id);
    }
    const where = `source ${source.name} build requires`;
    for (const dep of source.buildRequires) {
      this.require(options.firstAlternativeOnly && 'op' in dep && dep.op === 'or' ? dep.args[0] : dep, where);
    }
    for (const dep of source.buildConflicts) this.conflict(dep, `source ${source.name} build conflicts`);
    return this.solve(options);
  }

  /** Installs exactly `install` (without the base) while forbidding `conflicts`. */
  resolveInstall(install: Dependency[], conflicts: Dependency[] = [], options: ResolveOptions = {}): Resolution {
    this.startJobs();
    for (const dep of install) this.require(dep, 'install');
    for (const dep of conflicts) this.conflict(dep, 'conflicts');
    return this.solve(options);
  }

  /** The packages libsolv considers providers of each dependency (whatprovides), in pool order. */
  providers(dependencies: Dependency[]): PackageRef[][] {
    const mod = this.live();
    this.jobs.reset();
    for (const dep of dependencies) this.jobs.dependency(dep, 'providers');
    const strings = copyIn(mod, this.jobs.stringBytes());
    const deps = copyInInts(mod, this.jobs.intView());
    const header = mod._ripple_whatprovides(this.pool, strings, this.jobs.stringCount, deps, dependencies.length);
    mod._free(strings);
    mod._free(deps);
    const heap = mod.HEAP32;
    const ints = heap.subarray(heap[header >> 2] >> 2, (heap[header >> 2] >> 2) + heap[(header >> 2) + 1]);
    const result: PackageRef[][] = [];
    for (let at = 0; at < ints.length;) {
      const count = ints[at++];
      const refs: PackageRef[] = [];
      for (let i = 0; i < count; i++) {
        const solvable = ints[at++];
        // The system solvable provides libsolv's own capabilities; it belongs to no repository.
        if (solvable !== SYSTEM_SOLVABLE) refs.push(this.ref(solvable));
      }
      result.push(refs);
    }
    return result;
  }

  /** Size of this thread's WebAssembly memory; it only grows, so a steady value means no leak. */
  heapBytes(): number {
    return this.live().HEAPU8.length;
  }

  free(): void {
    if (this.pool) this.mod._ripple_pool_free(this.pool);
    this.pool = 0;
  }

  private live(): LibsolvModule {
    if (!this.pool) throw new RippleError(ErrorCode.ResolverFailed, 'the solver pool was already freed');
    return this.mod;
  }

  private startJobs(): void {
    this.jobs.reset();
    this.jobCount = 0;
  }

  private job(kind: (typeof JobKind)[keyof typeof JobKind]): void {
    this.jobs.int(kind);
    this.jobCount++;
  }

  private require(dep: Dependency, where: string): void {
    this.job(JobKind.Require);
    this.jobs.dependency(dep, where);
  }

  private conflict(dep: Dependency, where: string): void {
    this.job(JobKind.Conflict);
    this.jobs.dependency(dep, where);
  }

  private solve(options: ResolveOptions): Resolution {
    const mod = this.live();
    const strings = copyIn(mod, this.jobs.stringBytes());
    const jobs = copyInInts(mod, this.jobs.intView());
    const header = mod._ripple_solve(this.pool, strings, this.jobs.stringCount, jobs, this.jobCount, options.weakDependencies ? FLAG_WEAK : 0);
    mod._free(strings);
    mod._free(jobs);
    const heap = mod.HEAP32;
    const [intsPtr, intCount, textPtr] = [heap[header >> 2], heap[(header >> 2) + 1], heap[(header >> 2) + 2]];
    const ints = heap.slice(intsPtr >> 2, (intsPtr >> 2) + intCount);
    const text = (at: number) => this.decoder.decode(mod.HEAPU8.subarray(textPtr + ints[at], textPtr + ints[at] + ints[at + 1]));
    if (ints[0] === 1) return this.decodeMembers(ints);
    return { resolved: false, problems: this.decodeProblems(ints, text) };
  }

  private decodeMembers(ints: Int32Array): Resolution {
    const members: BuildrootMember[] = [];
    const ids: number[] = [];
    for (let i = 0, at = 2; i < ints[1]; i++, at += 2) {
      const state = ints[at + 1];
      ids.push(ints[at]);
      members.push({
        package: this.ref(ints[at]),
        distance: state === STATE_UNREACHED || state === STATE_BASE ? null : state,
        base: state === STATE_BASE,
      });
    }
    this.lastMembers = ids;
    members.sort((a, b) => a.package.repository - b.package.repository || a.package.index - b.package.index);
    return { resolved: true, members };
  }

  private decodeProblems(ints: Int32Array, text: (at: number) => string): Problem[] {
    const problems: Problem[] = [];
    let at = 2;
    for (let p = 0; p < ints[1]; p++) {
      const sentences: string[] = [];
      for (let n = ints[at++]; n > 0; n--, at += 2) sentences.push(text(at));
      const packages: PackageRef[] = [];
      for (let n = ints[at++]; n > 0; n--) packages.push(this.ref(ints[at++]));
      const dependencies: string[] = [];
      for (let n = ints[at++]; n > 0; n--, at += 2) dependencies.push(text(at));
      problems.push({ sentences, packages, dependencies });
    }
    return problems;
  }

  private ref(solvable: number): PackageRef {
    for (let r = 0; r < this.repositories.length; r++) {
      const { start, count } = this.repositories[r];
      if (solvable >= start && solvable < start + count) return { repository: r, index: solvable - start };
    }
    throw new RippleError(ErrorCode.ResolverFailed, `libsolv returned unknown solvable ${solvable}`);
  }
}
