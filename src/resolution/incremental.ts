/**
 * Incremental resolution: which sources a snapshot change can affect, and the carried-over result
 * of every other one.
 *
 * A resolution depends only on the packages libsolv can reach from the source's jobs (its build
 * dependencies and the base buildroot) through dependencies, and on which packages provide each
 * dependency it meets on the way. So a source keeps its result, with every member replaced by its
 * counterpart, when nothing it can reach changed in a way the solver could notice:
 *
 * - Binaries are paired across the snapshots: unchanged ones by NEVRA, changed ones by (name, arch)
 *   when each side has exactly one. A changed pair is *transparent* when the new package provides
 *   the same capability names and files, has the same flags, and its dependencies are satisfied by
 *   the counterparts of whatever satisfied the old one's (libc6-dev's `libc6 (= <its version>)`
 *   pin is transparent when both libc6 and libc6-dev move together). Other changes (added,
 *   removed, non-transparent) are *tainted*.
 * - A dependency leaf naming a capability of a changed package is *stable* when libsolv's
 *   whatprovides gives the counterparts of its old providers (a `Breaks: libc6 (<< X)` flips).
 * - Dirtiness spreads backwards from tainted packages and unstable leaves by capability name over
 *   requires, conflicts and obsoletes (conservative: a name match is enough).
 * - A source is re-solved when it is new, was unresolved, its own dependencies changed, one of its
 *   leaves or previous buildroot members is dirty, or the base buildroot is.
 *
 * Weak dependencies make supplements pull packages in from outside that closure; with them on
 * everything is re-solved. test/resolution/incremental.test.ts checks the result against a full
 * re-resolution on randomised snapshot changes.
 */
import { isDeepStrictEqual } from 'node:util';
import { SolverPool } from '../../resolver/src/index.ts';
import type { BinaryPackage, Dependency, DistType, SimpleDependency, SourcePackage } from '../../resolver/src/types.ts';
import { nevra, type BuildrootPackage, type ResolutionSettings } from './snapshot-resolver.ts';

/** A member of a previous buildroot: by default a BuildrootPackage, or what the caller stores (see binaryOf). */
interface PreviousMember { base: boolean }

export interface PreviousResult<M extends PreviousMember = BuildrootPackage> {
  /** The source as it was resolved (reduced build dependencies). */
  source: SourcePackage;
  resolved: boolean;
  /** Members of the previous buildroot. */
  members: readonly M[];
}

export interface IncrementalInput<M extends PreviousMember = BuildrootPackage> {
  distType: DistType;
  settings: ResolutionSettings;
  previous: { binaries: BinaryPackage[]; base: BinaryPackage[] | null };
  current: { binaries: BinaryPackage[]; base: BinaryPackage[] | null };
  /** Sources to resolve in the current snapshot. */
  sources: SourcePackage[];
  previousResults: Map<string, PreviousResult<M>>;
  /**
   * A member's binary of the previous snapshot (undefined: not in it, so the source is solved
   * again). Default: BuildrootPackage's `binary`. An ingest passes its decoded ids instead of
   * building an object for each of millions of members.
   */
  binaryOf?: (member: M) => BinaryPackage | undefined;
}

export interface IncrementalPlan {
  /** Sources that must be solved anew. */
  solve: SourcePackage[];
  /** Everything else: their previous buildroot holds, each member replaced by its counterpart. */
  carried: Set<string>;
  /** The current counterpart of a binary of the previous snapshot (itself when unchanged). */
  counterpart: (previous: BinaryPackage) => BinaryPackage | undefined;
  /** Why the whole snapshot was re-solved, when it was. */
  fullReason: string | null;
}

const identity = (b: BinaryPackage) => `${b.name}\0${b.arch}`;
const content = (b: BinaryPackage) =>
  JSON.stringify([nevra(b), b.provides, b.requires, b.conflicts, b.obsoletes, b.recommends, b.supplements, b.files, b.essential, b.multiArch]);

export function leaves(dep: Dependency): SimpleDependency[] {
  return 'op' in dep ? [...dep.args.flatMap(leaves), ...(dep.otherwise ? leaves(dep.otherwise) : [])] : [dep];
}

/** `leaves` of each dependency, visited without building arrays: the planner walks every dependency of the snapshot. */
function forEachLeaf(deps: readonly Dependency[], visit: (leaf: SimpleDependency) => void): void {
  for (const dep of deps) {
    if (!('op' in dep)) visit(dep);
    else {
      forEachLeaf(dep.args, visit);
      if (dep.otherwise) forEachLeaf([dep.otherwise], visit);
    }
  }
}

/** The leaves of a plain dependency or a plain alternative (Debian's `a | b`); null for anything richer. */
function alternatives(dep: Dependency): SimpleDependency[] | null {
  if (!('op' in dep)) return [dep];
  return dep.op === 'or' && !dep.otherwise && dep.args.every((a) => !('op' in a)) ? (dep.args as SimpleDependency[]) : null;
}

const leafKey = (d: SimpleDependency) => (d.relation ? `${d.name} ${d.relation} ${d.evr}` : d.name);

function capabilityNames(b: BinaryPackage): string[] {
  return [b.name, ...b.provides.flatMap(leaves).map((d) => d.name), ...b.files];
}

/** The leaves of the dependencies the solver acts on (weak ones are off when planning). */
function forEachRelevantLeaf(b: BinaryPackage, visit: (leaf: SimpleDependency) => void): void {
  forEachLeaf(b.requires, visit);
  forEachLeaf(b.conflicts, visit);
  forEachLeaf(b.obsoletes, visit);
}

const sourceDependencies = (s: SourcePackage) => [...s.buildRequires, ...s.buildConflicts];

export function planIncremental(input: IncrementalInput): Promise<IncrementalPlan>;
export function planIncremental<M extends PreviousMember>(input: IncrementalInput<M> & { binaryOf: (member: M) => BinaryPackage | undefined }): Promise<IncrementalPlan>;
export async function planIncremental<M extends PreviousMember>(input: IncrementalInput<M>): Promise<IncrementalPlan> {
  // The overloads make callers with other members pass binaryOf.
  const binaryOf = input.binaryOf ?? ((m: M) => (m as unknown as BuildrootPackage).binary);
  const full = (reason: string): IncrementalPlan => ({ solve: input.sources, carried: new Set(), counterpart: () => undefined, fullReason: reason });
  if (input.settings.weakDependencies) return full('weak dependencies are on');
  const { previous, current } = input;
  const [previousBaseList, currentBaseList] = [previous.base, current.base];
  if (!previousBaseList || !currentBaseList) return full('no resolved base buildroot to compare');
  // Unchanged means the same NEVRA with the same metadata: a rebuild under the same version
  // (possible across rpm repositories) is a change like any other.
  // The same object on both sides (a layer both snapshots share, see layer-store.ts) is unchanged
  // without looking; only the rest is compared by content.
  const shared = new Set(previous.binaries);
  const same = new Set(current.binaries.filter((b) => shared.has(b)));
  const [previousRest, currentRest] = [previous.binaries.filter((b) => !same.has(b)), current.binaries.filter((b) => !same.has(b))];
  const currentByContent = new Map(currentRest.map((b) => [content(b), b]));
  const previousByContent = new Map(previousRest.map((b) => [content(b), b]));
  const unchangedNow = (b: BinaryPackage) => same.has(b) || previousByContent.has(content(b));
  // Only identities of changed binaries are asked for; a name test first spares building the others'.
  const changedNames = new Set([...previousRest, ...currentRest].map((b) => b.name));
  const counts = (list: BinaryPackage[]) => {
    const map = new Map<string, number>();
    for (const b of list) if (changedNames.has(b.name)) map.set(identity(b), (map.get(identity(b)) ?? 0) + 1);
    return map;
  };
  const previousCount = counts(previous.binaries);
  const currentCount = counts(current.binaries);

  // Pair changed binaries; sigma maps previous binaries to their current counterparts.
  const sigma = new Map<BinaryPackage, BinaryPackage>();
  const removed: BinaryPackage[] = [];
  const added = current.binaries.filter((b) => !unchangedNow(b));
  const addedByIdentity = new Map(added.map((b) => [identity(b), b]));
  const pairs: [BinaryPackage, BinaryPackage][] = [];
  for (const old of previous.binaries) {
    const equal = same.has(old) ? old : currentByContent.get(content(old));
    if (equal) {
      sigma.set(old, equal);
      continue;
    }
    const partner = addedByIdentity.get(identity(old));
    if (partner && previousCount.get(identity(old)) === 1 && currentCount.get(identity(old)) === 1) {
      sigma.set(old, partner);
      pairs.push([old, partner]);
    } else removed.push(old);
  }
  const paired = new Set(pairs.map(([, now]) => now));
  const changed = [...removed, ...added, ...pairs.map(([old]) => old)];
  const counterpart = (b: BinaryPackage) => sigma.get(b);
  if (changed.length === 0) {
    // A member the previous snapshot does not have (binaryOf) is the one thing left to spoil a buildroot.
    const solve = input.sources.filter((s) => mustSolveRegardless(s, input) || input.previousResults.get(s.name)!.members.some((m) => !binaryOf(m)));
    const solving = new Set(solve);
    return { solve, carried: new Set(input.sources.filter((s) => !solving.has(s)).map((s) => s.name)), counterpart, fullReason: null };
  }

  // The base buildroot is installed in every solve with its requires hidden, so it may change by
  // substitution only: the previous base's counterparts must be exactly the current base. Its
  // members are then the same choices under new versions; what else they do is handled below.
  const previousBase = previousBaseList.map((b) => sigma.get(b));
  if (previousBase.some((b) => !b) || previousBase.map((b) => nevra(b!)).sort().join('\n') !== currentBaseList.map(nevra).sort().join('\n')) {
    return full('the base buildroot changed');
  }
  const base = new Set<BinaryPackage>(currentBaseList);

  // Capabilities of changed packages: the only names whose providers can differ.
  const touched = new Set(changed.flatMap(capabilityNames));

  // libsolv evaluates every leaf naming a touched capability, on both sides, in one small pool
  // holding only packages that provide a touched name (no other package can match such a leaf).
  const candidates = (list: BinaryPackage[]) => list.filter((b) => capabilityNames(b).some((n) => touched.has(n)));
  const previousCandidates = candidates(previous.binaries);
  const currentCandidates = candidates(current.binaries);
  // Leaves of unchanged packages and of sources must be stable themselves; leaves of changed
  // pairs are compared pair-wise instead (`libc (= 1)` becoming `libc (= 2)` is fine).
  const leafSet = new Map<string, SimpleDependency>();
  const checked = new Set<string>();
  const collect = (mustBeStable: boolean) => (leaf: SimpleDependency) => {
    if (!touched.has(leaf.name)) return;
    const key = leafKey(leaf);
    leafSet.set(key, leaf);
    if (mustBeStable) checked.add(key);
  };
  const [stable, pairWise] = [collect(true), collect(false)];
  const unchanged = current.binaries.filter(unchangedNow);
  for (const b of unchanged) forEachRelevantLeaf(b, stable);
  for (const s of input.sources) {
    forEachLeaf(s.buildRequires, stable);
    forEachLeaf(s.buildConflicts, stable);
  }
  for (const [old, now] of pairs) {
    forEachRelevantLeaf(old, pairWise);
    forEachRelevantLeaf(now, pairWise);
  }
  const leafList = [...leafSet.values()];
  // Requires (and build dependencies) a base member satisfies, before and after: the base is
  // installed in every solve, so such a requirement never pulls anything in (libtool's
  // `gcc | c-compiler` stays satisfied by gcc whatever starts to provide c-compiler).
  const baseNames = new Set([...previousBaseList, ...currentBaseList].flatMap(capabilityNames));
  const baseLeaves = new Map<string, SimpleDependency>();
  const collectBase = (deps: readonly Dependency[]) => {
    for (const d of deps) for (const l of alternatives(d) ?? []) if (baseNames.has(l.name)) baseLeaves.set(leafKey(l), l);
  };
  for (const b of current.binaries) collectBase(b.requires);
  for (const s of input.sources) collectBase(s.buildRequires);
  const baseLeafList = [...baseLeaves.values()];
  // Leaves of changed pairs naming untouched capabilities: only unchanged packages provide those,
  // the same ones on both sides, so such a leaf means the set of packages it matches, whatever its
  // text (libxfont2's security update raising `libc6 (>= 2.34)` to `(>= 2.36)` matches libc6 all
  // the same, and a requirement is exactly the set of packages that satisfy it).
  const pairLeaves = new Map<string, SimpleDependency>();
  for (const [old, now] of pairs) {
    const visit = (leaf: SimpleDependency) => {
      if (!touched.has(leaf.name)) pairLeaves.set(leafKey(leaf), leaf);
    };
    forEachRelevantLeaf(old, visit);
    forEachRelevantLeaf(now, visit);
  }
  const pairLeafList = [...pairLeaves.values()];
  const pairLeafNames = new Set(pairLeafList.map((l) => l.name));
  const unchangedProviders = pairLeafNames.size ? unchanged.filter((b) => capabilityNames(b).some((n) => pairLeafNames.has(n))) : [];
  const pool = await SolverPool.create({ distType: input.distType, arch: input.settings.arch });
  let providers: { repository: number; index: number }[][];
  let baseProviders: { repository: number; index: number }[][];
  let pairProviders: { repository: number; index: number }[][];
  try {
    pool.addRepository('previous', previousCandidates);
    pool.addRepository('current', currentCandidates);
    pool.addRepository('previous base', previousBaseList);
    pool.addRepository('current base', currentBaseList);
    pool.addRepository('unchanged providers', unchangedProviders);
    providers = pool.providers(leafList).map((refs) => refs.filter((r) => r.repository < 2));
    baseProviders = pool.providers(baseLeafList);
    pairProviders = pool.providers(pairLeafList).map((refs) => refs.filter((r) => r.repository === 4));
  } finally {
    pool.free();
  }
  const matching = new Map(pairLeafList.map((leaf, i) => [leafKey(leaf), pairProviders[i]!.map((r) => nevra(unchangedProviders[r.index]!)).sort().join(' ')]));
  const satisfiedBefore = new Set(baseLeafList.filter((_, i) => baseProviders[i]!.some((r) => r.repository === 2)).map(leafKey));
  const satisfiedAfter = new Set(baseLeafList.filter((_, i) => baseProviders[i]!.some((r) => r.repository === 3)).map(leafKey));
  const baseSatisfied = (d: Dependency) => {
    const list = alternatives(d);
    return list !== null && list.some((l) => satisfiedBefore.has(leafKey(l))) && list.some((l) => satisfiedAfter.has(leafKey(l)));
  };
  // Provider sets as sorted current NEVRAs: previous providers through sigma ('-' = gone).
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  leafList.forEach((leaf, i) => {
    const old: string[] = [];
    const now: string[] = [];
    for (const ref of providers[i]!) {
      if (ref.repository === 0) {
        const counterpart = sigma.get(previousCandidates[ref.index]!);
        old.push(counterpart ? nevra(counterpart) : `-${nevra(previousCandidates[ref.index]!)}`);
      } else now.push(nevra(currentCandidates[ref.index]!));
    }
    before.set(leafKey(leaf), old.sort().join(' '));
    after.set(leafKey(leaf), now.sort().join(' '));
  });
  const unstable = new Set([...checked].filter((k) => before.get(k) !== after.get(k)));

  // Transparency of changed pairs: same capabilities, same dependency structure up to providers.
  const signature = (dep: Dependency, side: Map<string, string>): string => {
    if (!('op' in dep)) return `{${(touched.has(dep.name) ? side : matching).get(leafKey(dep))}}`;
    return `(${dep.op} ${dep.args.map((a) => signature(a, side)).join(', ')}${dep.otherwise ? ` else ${signature(dep.otherwise, side)}` : ''})`;
  };
  const kinds = (b: BinaryPackage, side: Map<string, string>) =>
    [b.requires, b.conflicts, b.obsoletes].map((deps) => deps.map((d) => signature(d, side)).sort().join('; ')).join(' | ');
  const tainted = new Set<BinaryPackage>([...removed, ...added.filter((b) => !paired.has(b))]);
  for (const [old, now] of pairs) {
    const transparent = old.essential === now.essential && old.multiArch === now.multiArch
      && [...new Set(capabilityNames(old))].sort().join('\n') === [...new Set(capabilityNames(now))].sort().join('\n')
      && kinds(old, before) === kinds(now, after);
    if (!transparent) tainted.add(old).add(now);
  }

  // Spread dirtiness backwards by capability name over requires: a source can only install what a
  // chain of requires from its own dependencies reaches, so a change reaches it along such a chain.
  // Conflicts and obsoletes do not spread: one only matters when both packages could be installed,
  // and then the other package is reachable and its change (or the unstable leaf naming it) spreads.
  const dependents = new Map<string, BinaryPackage[]>();
  for (const b of current.binaries) {
    forEachLeaf(b.requires, ({ name }) => {
      const list = dependents.get(name);
      if (!list) dependents.set(name, [b]);
      else if (list.at(-1) !== b) list.push(b);
    });
  }
  const dirty = new Set<BinaryPackage>();
  const dirtyNames = new Set<string>();
  const queue: string[] = [];
  const markName = (name: string) => {
    if (!dirtyNames.has(name)) {
      dirtyNames.add(name);
      queue.push(name);
    }
  };
  const markPackage = (b: BinaryPackage) => {
    if (dirty.has(b)) return;
    dirty.add(b);
    for (const name of capabilityNames(b)) markName(name);
  };
  for (const b of tainted) {
    markPackage(b);
    // A base member is installed without being reached, so whatever its conflicts name is affected
    // too (for other packages, reaching them is what makes their conflicts matter).
    if (base.has(sigma.get(b) ?? b)) for (const l of [...b.conflicts, ...b.obsoletes].flatMap(leaves)) markName(l.name);
  }
  for (const key of unstable) markName(leafSet.get(key)!.name);
  while (queue.length) {
    const name = queue.pop()!;
    for (const b of dependents.get(name) ?? []) {
      if (tainted.has(b)) continue;
      // An unchanged base member stays installed whatever its (hidden) requires now reach.
      if (base.has(b)) dirty.add(b);
      else if (!b.requires.every((d) => baseSatisfied(d) || !leaves(d).some((l) => l.name === name))) markPackage(b);
    }
  }

  const isDirtyLeaf = (l: SimpleDependency) => dirtyNames.has(l.name) || unstable.has(leafKey(l));
  // Previous binaries a carried buildroot cannot keep: gone ones (no counterpart) spoil any
  // buildroot, dirty ones only where they are not base members. A few thousand at most, looked up
  // once per member of every previous buildroot (millions).
  const spoiled = new Map<BinaryPackage, 'gone' | 'dirty'>();
  for (const b of previous.binaries) {
    const now = sigma.get(b);
    if (!now) spoiled.set(b, 'gone');
    else if (dirty.has(now) || dirty.has(b)) spoiled.set(b, 'dirty');
  }
  const spoils = (m: M) => {
    const binary = binaryOf(m);
    const why = binary && spoiled.get(binary);
    return !binary || why === 'gone' || (why === 'dirty' && !m.base);
  };
  const solve: SourcePackage[] = [];
  const carried = new Set<string>();
  for (const source of input.sources) {
    const last = input.previousResults.get(source.name);
    if (mustSolveRegardless(source, input) || !last
      || source.buildRequires.some((d) => !baseSatisfied(d) && leaves(d).some(isDirtyLeaf))
      || source.buildConflicts.flatMap(leaves).some(isDirtyLeaf)
      || last.members.some(spoils)) {
      solve.push(source);
      continue;
    }
    carried.add(source.name);
  }
  return { solve, carried, counterpart, fullReason: null };
}

/** New sources, previously unresolved ones, and ones whose own dependencies changed are always solved. */
function mustSolveRegardless<M extends PreviousMember>(source: SourcePackage, input: IncrementalInput<M>): boolean {
  const last = input.previousResults.get(source.name);
  if (!last || !last.resolved) return true;
  // The same object when its layer did not change (buildSources); otherwise both come from
  // buildSources over the same readers, so equal dependencies have equal shapes.
  return last.source !== source && !isDeepStrictEqual(sourceDependencies(last.source), sourceDependencies(source));
}
