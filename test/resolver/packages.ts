/** Builders for hand-made pools in the resolver tests. */
import type { BinaryPackage, Dependency, SourcePackage } from '../../resolver/src/index.ts';

/** `name`, `name >= 1.0`, `name << 2` (Debian spelling is mapped like the reader does). */
export function dep(text: string): Dependency {
  const [name, relation, evr] = text.split(' ');
  if (!relation) return { name };
  const normal = relation === '<<' ? '<' : relation === '>>' ? '>' : relation;
  return { name, relation: normal as '<' | '<=' | '=' | '>=' | '>', evr };
}

export const or = (...args: string[]): Dependency => ({ op: 'or', args: args.map(dep) });

type Deps = string | Dependency;
const deps = (list: Deps[] = []) => list.map((d) => (typeof d === 'string' ? dep(d) : d));

export interface Spec {
  provides?: Deps[]; requires?: Deps[]; conflicts?: Deps[]; obsoletes?: Deps[]; recommends?: Deps[];
  supplements?: Deps[]; files?: string[]; essential?: boolean; arch?: string; epoch?: number; release?: string;
}

export function binary(name: string, version: string, spec: Spec = {}, defaults: { arch: string; release: string } = { arch: 'x86_64', release: '1' }): BinaryPackage {
  return {
    name,
    epoch: spec.epoch ?? 0,
    version,
    release: spec.release ?? defaults.release,
    arch: spec.arch ?? defaults.arch,
    provides: deps(spec.provides),
    requires: deps(spec.requires),
    conflicts: deps(spec.conflicts),
    obsoletes: deps(spec.obsoletes),
    recommends: deps(spec.recommends),
    suggests: [],
    supplements: deps(spec.supplements),
    enhances: [],
    files: spec.files ?? [],
    essential: spec.essential ?? false,
    sourceName: name,
    sourceEvr: version,
  };
}

/** A Debian binary: arch amd64, no release. */
export const deb = (name: string, version: string, spec: Spec = {}) => binary(name, version, spec, { arch: 'amd64', release: '' });

export function source(name: string, buildRequires: Deps[], buildConflicts: Deps[] = []): SourcePackage {
  return { name, epoch: 0, version: '1', release: '1', buildRequires: deps(buildRequires), buildConflicts: deps(buildConflicts) };
}
