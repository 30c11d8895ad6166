/**
 * Resolves the sources of a snapshot (as read by src/repos) with the resolver pool: turns a
 * collection's resolution settings into libsolv jobs (base buildroot, Debian reduction of build
 * dependencies for one architecture and profile set), and maps the resolver's package references
 * back to the snapshot's binaries.
 */
import { ResolverPool, type BaseSpec, type Resolution, type ResolveOptions } from '../../resolver/src/index.ts';
import type { BinaryPackage, Dependency, DistType, SourcePackage } from '../../resolver/src/types.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { buildsOn, reduceBuildDependencies } from '../repos/debian-reader.ts';
import { groupPackages } from '../repos/comps.ts';
import type { Snapshot } from '../repos/read-repository.ts';

/** What a collection's base buildroot is made of. */
export type BaseBuildroot =
  /** rpm: the mandatory and default members of a comps group (mock and Koschei use `build`). */
  | { group: string }
  /** Named packages; for Debian `essential: true` adds every Essential: yes package (what sbuild's chroot has). */
  | { packages: string[]; essential?: boolean };

export interface ResolutionSettings {
  arch: string;
  base: BaseBuildroot;
  /**
   * Install Recommends / weak dependencies. Default false: mock's dnf.conf sets install_weak_deps=0
   * and sbuild installs build dependencies without recommends.
   */
  weakDependencies: boolean;
  /**
   * Keep only the first alternative of `a | b` build dependencies. Default true for Debian, which is
   * what sbuild does on the official buildds (resolve_alternatives off); meaningless for rpm.
   */
  firstAlternativeOnly: boolean;
  /** Debian build profiles in effect (e.g. `nocheck`). Default none, as on the buildds. */
  profiles: string[];
  /** Debian: also satisfy Build-Depends-Indep (Architecture: all packages are built). Default true. */
  includeIndep: boolean;
}

export function defaultSettings(format: DistType, overrides: Partial<ResolutionSettings> = {}): ResolutionSettings {
  const debian = format === 'deb';
  return {
    arch: debian ? 'amd64' : 'x86_64',
    base: debian ? { packages: ['build-essential'], essential: true } : { group: 'build' },
    weakDependencies: false,
    firstAlternativeOnly: debian,
    profiles: [],
    includeIndep: true,
    ...overrides,
  };
}

const byName = (name: string): Dependency => ({ name });

/** The base buildroot as resolver jobs; throws when an rpm group does not exist in the snapshot's comps. */
export function baseSpec(snapshot: Snapshot, settings: ResolutionSettings): BaseSpec {
  const base = settings.base;
  if ('group' in base) {
    if (snapshot.format !== 'rpm') throw new RippleError(ErrorCode.InvalidInput, 'a comps group base buildroot needs an rpm-md collection', { field: 'base' });
    const names = groupPackages(snapshot.groups, base.group);
    if (!names) {
      throw new RippleError(ErrorCode.InvalidInput, `base buildroot group '${base.group}' is not in the repository's comps (groups: ${snapshot.groups.map((g) => g.id).join(', ') || 'none'})`, { field: 'base.group' });
    }
    return { install: names.map(byName) };
  }
  return { install: base.packages.map(byName), includeEssential: Boolean(base.essential) && snapshot.format === 'deb' };
}

/**
 * The reduction last made of each source, with the options it was made for. Parsed layers are kept
 * and shared between snapshots (layer-store.ts), so a regeneration reduces only the sources of the
 * layers that changed; and an unchanged source keeps the same reduced object, which incremental
 * resolution then knows unchanged without comparing its dependencies.
 */
const reductions = new WeakMap<object, { options: string; reduced: SourcePackage }>();

/** The sources to track in this snapshot, reduced to the collection's architecture and profiles. */
export function buildSources(snapshot: Snapshot, settings: ResolutionSettings): SourcePackage[] {
  if (snapshot.format === 'rpm') return snapshot.sources;
  const reduce = { arch: settings.arch, profiles: settings.profiles, includeIndep: settings.includeIndep };
  const options = JSON.stringify(reduce);
  return snapshot.sources
    .filter((s) => !s.extraSourceOnly && buildsOn(s, settings.arch))
    .map((s) => {
      const last = reductions.get(s);
      if (last?.options === options) return last.reduced;
      const reduced = reduceBuildDependencies(s, reduce);
      reductions.set(s, { options, reduced });
      return reduced;
    });
}

export interface BuildrootPackage { binary: BinaryPackage; distance: number | null; base: boolean }

/** A libsolv problem with its packages spelt out, as stored and shown. */
export interface ResolutionProblem { sentences: string[]; packages: string[]; dependencies: string[] }

export type SourceOutcome =
  | { source: SourcePackage; resolved: true; buildroot: BuildrootPackage[] }
  | { source: SourcePackage; resolved: false; problems: ResolutionProblem[] };

export type BaseOutcome = { resolved: true; buildroot: BuildrootPackage[] } | { resolved: false; problems: ResolutionProblem[] };

/** `name-[epoch:]version[-release].arch`, the one spelling used in problems, diffs and events. */
export function nevra(b: { name: string; epoch: number; version: string; release: string; arch: string }): string {
  return `${b.name}-${b.epoch ? `${b.epoch}:` : ''}${b.version}${b.release ? `-${b.release}` : ''}.${b.arch}`;
}

export interface SnapshotResolverOptions {
  threads?: number;
  /** Extra repositories stacked after the snapshot (root-cause analysis adds the previous versions). */
  extra?: BinaryPackage[];
}

/** A warm resolver pool for one snapshot and one settings value. */
export class SnapshotResolver {
  private constructor(
    private readonly pool: ResolverPool,
    private readonly repositories: BinaryPackage[][],
    readonly settings: ResolutionSettings,
    readonly base: BaseOutcome,
  ) {}

  static async open(snapshot: Snapshot, settings: ResolutionSettings, options: SnapshotResolverOptions = {}): Promise<SnapshotResolver> {
    const repositories = [snapshot.binaries, ...(options.extra ? [options.extra] : [])];
    const pool = await ResolverPool.create({
      size: options.threads,
      distType: snapshot.format,
      arch: settings.arch,
      repositories: repositories.map((packages, i) => ({ name: i === 0 ? 'snapshot' : `extra${i}`, packages })),
      base: baseSpec(snapshot, settings),
      options: resolveOptions(settings),
    });
    const resolver = new SnapshotResolver(pool, repositories, settings, { resolved: false, problems: [] });
    const base = pool.base;
    const outcome: BaseOutcome = !base || base.resolved
      ? { resolved: true, buildroot: base ? resolver.members(base) : [] }
      : { resolved: false, problems: resolver.problems(base) };
    return new SnapshotResolver(pool, repositories, settings, outcome);
  }

  /** Resolutions in the order of `sources`; refuses when the base buildroot is broken. */
  async resolve(sources: SourcePackage[], onProgress?: (done: number, total: number) => void): Promise<SourceOutcome[]> {
    if (!this.base.resolved) {
      throw new RippleError(ErrorCode.ResolverFailed, `the base buildroot is not installable: ${this.base.problems[0]?.sentences[0] ?? 'no details'}`, { problems: this.base.problems });
    }
    const resolutions = await this.pool.resolveAll(sources, { onProgress });
    return resolutions.map((r, i) => r.resolved
      ? { source: sources[i]!, resolved: true, buildroot: this.members(r) }
      : { source: sources[i]!, resolved: false, problems: this.problems(r) });
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private binary(ref: { repository: number; index: number }): BinaryPackage {
    return this.repositories[ref.repository]![ref.index]!;
  }

  private members(r: Extract<Resolution, { resolved: true }>): BuildrootPackage[] {
    return r.members.map((m) => ({ binary: this.binary(m.package), distance: m.distance, base: m.base }));
  }

  private problems(r: Extract<Resolution, { resolved: false }>): ResolutionProblem[] {
    return r.problems.map((p) => ({ sentences: p.sentences, packages: p.packages.map((ref) => nevra(this.binary(ref))), dependencies: p.dependencies }));
  }
}

export function resolveOptions(settings: ResolutionSettings): ResolveOptions {
  return { weakDependencies: settings.weakDependencies, firstAlternativeOnly: settings.firstAlternativeOnly };
}
