/**
 * Why a source's buildability changed between two snapshots: the binary changes that explain it,
 * in words ("foo became unresolvable because libbar 2.0-1 replaced libbar 1.9-3 (libbar 2.0-1 no
 * longer provides libbar.so.1()(64bit))").
 *
 * A change explains the transition when libsolv's problem text (for the unresolvable side) names
 * the changed package or a capability it gained or lost, or when it removed or replaced a member
 * of the last good buildroot and took away a capability that the problem text mentions. The
 * problem sentences are libsolv's own, so anything they name is a package or dependency the solver
 * actually got stuck on; the candidates are only packages that changed between the snapshots.
 */
import type { BinaryPackage, Dependency, SourcePackage } from '../../resolver/src/types.ts';
import { nevra, type ResolutionProblem } from './snapshot-resolver.ts';

export type CauseKind = 'replaced' | 'removed' | 'added' | 'source-changed';

export interface Cause {
  kind: CauseKind;
  name: string;
  arch: string | null;
  previous: string | null;
  current: string | null;
  /** Capabilities the previous package provided and the current one does not (replaced/removed). */
  lostProvides: string[];
  /** Capabilities the current package provides and the previous one did not (replaced/added). */
  gainedProvides: string[];
  explanation: string;
}

export interface RootCause {
  transition: 'became-unresolvable' | 'became-resolvable' | 'problems-changed';
  summary: string;
  causes: Cause[];
}

export interface BuildabilitySide {
  source: SourcePackage | null;
  /** Members of the buildroot (resolved side). */
  buildroot?: BinaryPackage[];
  /** libsolv problems (unresolved side). */
  problems?: ResolutionProblem[];
}

const evr = (b: { epoch: number; version: string; release: string }) =>
  `${b.epoch ? `${b.epoch}:` : ''}${b.version}${b.release ? `-${b.release}` : ''}`;
const key = (b: BinaryPackage) => `${b.name}\0${b.arch}`;

/** The names a dependency expression mentions (leaves of rich dependencies and alternatives). */
export function dependencyNames(dep: Dependency): string[] {
  return 'op' in dep ? [...dep.args.flatMap(dependencyNames), ...(dep.otherwise ? dependencyNames(dep.otherwise) : [])] : [dep.name];
}

/** `capability = version` for every versioned provide (Debian `Provides: foo (= 1)`, rpm `Provides: foo = 1`). */
function versionedProvides(b: BinaryPackage): Set<string> {
  return new Set(b.provides.flatMap((d) => ('op' in d || d.relation !== '=' ? [] : [`${d.name} = ${d.evr}`])));
}

function capabilities(b: BinaryPackage): Set<string> {
  return new Set([b.name, ...b.provides.flatMap(dependencyNames), ...b.files]);
}

/** Whether `text` mentions `word` as a whole token (names contain dots, dashes, plus signs, parens). */
function mentions(text: string, word: string): boolean {
  let at = text.indexOf(word);
  while (at >= 0) {
    const before = at === 0 ? ' ' : text[at - 1]!;
    const after = text[at + word.length] ?? ' ';
    if (!/[\w.+-]/.test(before) && !/[\w+-]/.test(after) && !(after === '.' && /\w/.test(text[at + word.length + 1] ?? ''))) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

/** Binaries whose (name, arch) entry differs between two snapshots (newest version of each side). */
export interface BinaryChange { key: string; old?: BinaryPackage; now?: BinaryPackage }

/** Computed once per pair of snapshots and reused for every source that changed buildability. */
export function binaryChanges(previous: readonly BinaryPackage[], current: readonly BinaryPackage[]): BinaryChange[] {
  // With several versions of one (name, arch) (rpm keeps them all) the last read stands for it.
  const index = (list: readonly BinaryPackage[]) => new Map(list.map((b) => [key(b), b]));
  const before = index(previous);
  const after = index(current);
  const changes: BinaryChange[] = [];
  for (const [k, old] of before) {
    const now = after.get(k);
    if (!now || nevra(now) !== nevra(old)) changes.push({ key: k, old, now });
  }
  for (const [k, now] of after) if (!before.has(k)) changes.push({ key: k, now });
  return changes;
}

function describe(cause: Omit<Cause, 'explanation'>, transition: RootCause['transition']): string {
  const list = (caps: string[]) => `${caps.slice(0, 3).join(', ')}${caps.length > 3 ? ', ...' : ''}`;
  const lost = cause.lostProvides.length ? `${cause.current ?? cause.name} no longer provides ${list(cause.lostProvides)}` : '';
  const gained = cause.gainedProvides.length ? `now provides ${list(cause.gainedProvides)}` : '';
  // What made the difference first: lost capabilities break, gained ones mend.
  const details = (transition === 'became-resolvable' ? [gained, lost] : [lost, gained]).filter(Boolean).join('; ');
  const suffix = details ? ` (${details})` : '';
  switch (cause.kind) {
    case 'replaced': return `${cause.current} replaced ${cause.previous}${suffix}`;
    case 'removed': return `${cause.previous} was removed${cause.lostProvides.length ? ` (it provided ${list(cause.lostProvides)})` : ''}`;
    case 'added': return `${cause.current} appeared${suffix}`;
    case 'source-changed': return `the source itself changed from ${cause.previous} to ${cause.current}`;
  }
}

/**
 * Explains a buildability transition of one source. `changes` lists the binary changes between the
 * two snapshots (binaryChanges); the unresolvable side must carry problems, the resolvable side its buildroot.
 */
export function explainTransition(name: string, before: BuildabilitySide, after: BuildabilitySide, changes: readonly BinaryChange[]): RootCause {
  const transition = before.problems && !after.problems ? 'became-resolvable' : !before.problems && after.problems ? 'became-unresolvable' : 'problems-changed';
  const problems = after.problems ?? before.problems ?? [];
  const text = problems.flatMap((p) => [...p.sentences, ...p.dependencies, ...p.packages]).join('\n');
  const goodBuildroot = new Set((after.buildroot ?? before.buildroot ?? []).map(key));
  const causes: Cause[] = [];

  for (const { key: k, old, now } of changes) {
    const oldCaps = old ? capabilities(old) : new Set<string>();
    const nowCaps = now ? capabilities(now) : new Set<string>();
    // A capability both versions provide can still change its version (`pkgconfig(bar) = 1.9` ->
    // `= 2.0`), which is what a versioned requirement notices.
    const oldVersioned = old ? versionedProvides(old) : new Set<string>();
    const nowVersioned = now ? versionedProvides(now) : new Set<string>();
    const moved = (from: Set<string>, to: Set<string>, toCaps: Set<string>) =>
      [...from].filter((v) => !to.has(v) && toCaps.has(v.slice(0, v.indexOf(' = '))) && mentions(text, v.slice(0, v.indexOf(' = '))));
    const lost = [...[...oldCaps].filter((c) => !nowCaps.has(c) && mentions(text, c)), ...moved(oldVersioned, nowVersioned, nowCaps)].sort();
    const gained = [...[...nowCaps].filter((c) => !oldCaps.has(c) && mentions(text, c)), ...moved(nowVersioned, oldVersioned, oldCaps)].sort();
    const named = mentions(text, (now ?? old)!.name) || (old !== undefined && mentions(text, nevra(old))) || (now !== undefined && mentions(text, nevra(now)));
    const inGoodBuildroot = goodBuildroot.has(k);
    if (!named && lost.length === 0 && gained.length === 0) continue;
    if (!inGoodBuildroot && !named && gained.length === 0) continue;
    const kind: CauseKind = old && now ? 'replaced' : old ? 'removed' : 'added';
    const cause = {
      kind,
      name: (now ?? old)!.name,
      arch: (now ?? old)!.arch,
      previous: old ? `${old.name} ${evr(old)}` : null,
      current: now ? `${now.name} ${evr(now)}` : null,
      lostProvides: lost,
      gainedProvides: gained,
    };
    causes.push({ ...cause, explanation: describe(cause, transition) });
  }

  if (before.source && after.source && evr(before.source) !== evr(after.source)) {
    const cause = {
      kind: 'source-changed' as const, name, arch: null,
      previous: `${name} ${evr(before.source)}`, current: `${name} ${evr(after.source)}`, lostProvides: [], gainedProvides: [],
    };
    causes.push({ ...cause, explanation: describe(cause, transition) });
  }

  // Most specific first: changes that lost or gained a mentioned capability, then named ones.
  causes.sort((a, b) => b.lostProvides.length + b.gainedProvides.length - (a.lostProvides.length + a.gainedProvides.length) || a.name.localeCompare(b.name));
  const because = causes.slice(0, 3).map((c) => c.explanation).join('; ') + (causes.length > 3 ? `; and ${causes.length - 3} more` : '');
  const summary = transition === 'became-unresolvable'
    ? `${name} became unresolvable ${causes.length ? `because ${because}` : 'with no binary change naming the problem (see problems)'}`
    : transition === 'became-resolvable'
      ? `${name} became resolvable ${causes.length ? `because ${because}` : '(no single binary change named in the old problems)'}`
      : `${name} is still unresolvable, with different problems${causes.length ? ` after ${because}` : ''}`;
  return { transition, summary, causes };
}
