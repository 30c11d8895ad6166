/**
 * Debian relationship fields (policy 7.1): `a (>= 1) | b:any [amd64 !i386] <!nocheck> <stage1 cross>, c`,
 * architecture wildcards (dpkg's tuple matching) and build-profile formulas, and their reduction to
 * the shared model for one architecture and profile set.
 */
import { repositoryUnreadable, type FilePosition } from '../errors.ts';
import type { Dependency, Relation, SimpleDependency } from '../../resolver/src/types.ts';

export interface ProfileTerm { negated: boolean; name: string }

export interface DebianAlternative {
  name: string;
  /** `:any`, `:native`, or a concrete architecture (`gcc:amd64`, seen in real Packages files). */
  qualifier?: string;
  relation?: Relation;
  evr?: string;
  /** `[amd64 i386]` (negated false) or `[!amd64 !i386]` (negated true); mixing is invalid. */
  architectures?: { negated: boolean; list: string[] };
  /** `<a b> <c>`: the alternative applies when every term of at least one group holds. */
  profiles?: ProfileTerm[][];
}

/** One comma-separated entry: its `|` alternatives. */
export type DebianRelation = DebianAlternative[];

const RELATIONS: Record<string, Relation> = { '<<': '<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>', '<': '<=', '>': '>=' };

const ALTERNATIVE = /^([A-Za-z0-9][A-Za-z0-9+.\-_]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([0-9A-Za-z][^()\s]*)\s*\))?\s*(?:\[([^\]]*)\])?\s*((?:<[^<>]*>\s*)*)$/;

function parseAlternative(text: string, position: FilePosition): DebianAlternative {
  const match = ALTERNATIVE.exec(text);
  if (!match) throw repositoryUnreadable(position, `cannot parse relation '${text}'`);
  const [, name, qualifier, op, evr, archs, profiles] = match;
  const alternative: DebianAlternative = { name };
  if (qualifier !== undefined) alternative.qualifier = qualifier;
  if (op !== undefined) {
    alternative.relation = RELATIONS[op];
    alternative.evr = evr;
  }
  if (archs !== undefined) {
    const list = archs.trim().split(/\s+/).filter(Boolean);
    const negated = list.length > 0 && list[0].startsWith('!');
    if (list.length === 0 || list.some((a) => a.startsWith('!') !== negated)) {
      throw repositoryUnreadable(position, `architecture list '[${archs}]' must be non-empty and all negated or none in '${text}'`);
    }
    alternative.architectures = { negated, list: list.map((a) => (negated ? a.slice(1) : a)) };
  }
  if (profiles) {
    alternative.profiles = [...profiles.matchAll(/<([^<>]*)>/g)].map((group) => {
      const terms = group[1].trim().split(/\s+/).filter(Boolean);
      if (terms.length === 0) throw repositoryUnreadable(position, `empty build profile group in '${text}'`);
      return terms.map((t) => (t.startsWith('!') ? { negated: true, name: t.slice(1) } : { negated: false, name: t }));
    });
  }
  return alternative;
}

/** Parses a whole relationship field; `position` names the file, line and field for errors. */
export function parseDebianRelations(text: string, position: FilePosition): DebianRelation[] {
  const relations: DebianRelation[] = [];
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue; // trailing commas are tolerated, as dpkg does
    relations.push(trimmed.split('|').map((alt) => parseAlternative(alt.trim().replace(/\s+/g, ' '), position)));
  }
  return relations;
}

/**
 * Converts a parsed relation to the shared model: one alternative stays simple, more become `or`.
 * A concrete architecture qualifier (`gcc:amd64`, `libc6-i386:x32`) is kept: the resolver knows its
 * pool's architecture and lets it match only there.
 */
export function relationToDependency(relation: DebianRelation): Dependency {
  const simple = relation.map((alt): SimpleDependency => {
    const dep: SimpleDependency = { name: alt.name };
    if (alt.relation) { dep.relation = alt.relation; dep.evr = alt.evr; }
    if (alt.qualifier === 'any' || alt.qualifier === 'native') dep.qualifier = alt.qualifier;
    else if (alt.qualifier !== undefined) dep.architecture = alt.qualifier;
    return dep;
  });
  return simple.length === 1 ? simple[0] : { op: 'or', args: simple };
}

// dpkg's architecture tuples (abi, libc, os, cpu) for names that do not follow the default rules.
const TUPLES: Record<string, [string, string, string, string]> = {
  armhf: ['eabihf', 'gnu', 'linux', 'arm'],
  armel: ['eabi', 'gnu', 'linux', 'arm'],
  x32: ['x32', 'gnu', 'linux', 'amd64'],
  mips64el: ['abi64', 'gnu', 'linux', 'mips64el'],
  mips64: ['abi64', 'gnu', 'linux', 'mips64'],
  'hurd-i386': ['base', 'gnu', 'hurd', 'i386'],
  'hurd-amd64': ['base', 'gnu', 'hurd', 'amd64'],
};

/** The tuple of a concrete architecture name: `amd64`, `kfreebsd-amd64`, `musl-linux-arm64`. */
export function debianArchTuple(arch: string): [string, string, string, string] {
  const known = TUPLES[arch];
  if (known) return known;
  const parts = arch.split('-');
  if (parts.length === 1) return ['base', 'gnu', 'linux', arch];
  if (parts.length === 2) return ['base', 'gnu', parts[0], parts[1]];
  if (parts.length === 3) return ['base', parts[0], parts[1], parts[2]];
  return [parts[0], parts[1], parts[2], parts.slice(3).join('-')];
}

/** Expands a wildcard the way dpkg does: missing leading parts are `any` (`linux-any` is any-any-linux-any). */
function wildcardTuple(pattern: string): string[] {
  const parts = pattern.split('-');
  return ['any', 'any', 'any', 'any'].slice(0, 4 - Math.min(parts.length, 4)).concat(parts.length > 4 ? [...parts.slice(0, 3), parts.slice(3).join('-')] : parts);
}

/** Whether concrete `arch` matches `pattern` (a name or a wildcard like `any`, `linux-any`, `any-amd64`). */
export function debianArchMatches(arch: string, pattern: string): boolean {
  if (arch === pattern) return true;
  if (arch === 'all' || pattern === 'all') return false;
  const tuple = debianArchTuple(arch);
  if (pattern === 'any') return true;
  if (!pattern.split('-').includes('any')) {
    const other = debianArchTuple(pattern);
    return other.every((part, i) => part === tuple[i]);
  }
  return wildcardTuple(pattern).every((part, i) => part === 'any' || part === tuple[i]);
}

/** Whether an alternative applies on `arch` with the active build `profiles`. */
export function alternativeApplies(alt: DebianAlternative, arch: string, profiles: ReadonlySet<string>): boolean {
  if (alt.architectures) {
    const listed = alt.architectures.list.some((pattern) => debianArchMatches(arch, pattern));
    if (listed === alt.architectures.negated) return false;
  }
  if (alt.profiles) {
    const holds = alt.profiles.some((group) => group.every((term) => profiles.has(term.name) !== term.negated));
    if (!holds) return false;
  }
  return true;
}

/**
 * Keeps only the alternatives that apply; a relation left without alternatives disappears
 * (policy: the relation is then simply not there for that architecture/profile).
 */
export function reduceRelations(relations: DebianRelation[], arch: string, profiles: ReadonlySet<string>): Dependency[] {
  const reduced: Dependency[] = [];
  for (const relation of relations) {
    const kept = relation.filter((alt) => alternativeApplies(alt, arch, profiles));
    if (kept.length > 0) reduced.push(relationToDependency(kept));
  }
  return reduced;
}
