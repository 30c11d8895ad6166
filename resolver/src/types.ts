/**
 * The input model shared by the repository readers (src/repos) and the resolver.
 * Readers turn rpm-md and Debian metadata into these shapes; the resolver turns them into
 * libsolv solvables. Nothing here depends on libsolv, so readers and tests can use it alone.
 */

/** Version relation; Debian's `<<` and `>>` are normalised to `<` and `>` by the reader. */
export type Relation = '<' | '<=' | '=' | '>=' | '>';

/** A plain dependency: `name`, `name >= evr`, Debian `name:any`. */
export interface SimpleDependency {
  name: string;
  relation?: Relation;
  /** rpm: `[epoch:]version[-release]`; Debian: `[epoch:]upstream[-revision]`. Set iff relation is. */
  evr?: string;
  /** Debian multi-arch qualifier (`foo:any`, `foo:native`). */
  qualifier?: 'any' | 'native';
  /**
   * Debian relation naming a concrete architecture (`libc6-i386:x32`, `gcc:amd64`): only packages of
   * that architecture satisfy it, so on a pool of another architecture it matches nothing.
   */
  architecture?: string;
}

/**
 * A combination: rpm rich (boolean) dependencies and Debian alternatives (`a | b` is `or`).
 * `if`/`unless` may carry an `else` branch (`(a if b else c)`).
 */
export interface RichDependency {
  op: 'and' | 'or' | 'if' | 'unless' | 'with' | 'without';
  args: Dependency[];
  /** Only for `if`/`unless`: the branch used when the condition does not hold. */
  otherwise?: Dependency;
}

export type Dependency = SimpleDependency | RichDependency;

export type DistType = 'rpm' | 'deb';

/** One binary package as the builder's package manager sees it. */
export interface BinaryPackage {
  name: string;
  /** 0 when absent. */
  epoch: number;
  /** rpm: version; Debian: the whole version without epoch (upstream-revision). */
  version: string;
  /** rpm: release; Debian: always ''. */
  release: string;
  arch: string;
  provides: Dependency[];
  /** rpm: Requires (pre and post included); Debian: Depends + Pre-Depends. */
  requires: Dependency[];
  /** rpm: Conflicts; Debian: Conflicts + Breaks. */
  conflicts: Dependency[];
  obsoletes: Dependency[];
  recommends: Dependency[];
  suggests: Dependency[];
  supplements: Dependency[];
  enhances: Dependency[];
  /** rpm: files from primary/filelists that a `/path` requirement can match. */
  files: string[];
  /** Debian `Essential: yes`. */
  essential: boolean;
  /** Debian `Multi-Arch:` field, when present. */
  multiArch?: 'same' | 'foreign' | 'allowed' | 'no';
  /** Name and [epoch:]version[-release] of the source package this binary was built from. */
  sourceName: string;
  sourceEvr: string;
}

/** One source package and what it needs to build, already reduced for one architecture and profile set. */
export interface SourcePackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  /** rpm: BuildRequires; Debian: Build-Depends (+ -Arch, + -Indep when indep packages are built). */
  buildRequires: Dependency[];
  /** rpm: BuildConflicts; Debian: Build-Conflicts (+ -Arch, + -Indep). */
  buildConflicts: Dependency[];
}
