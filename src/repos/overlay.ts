/**
 * Stacking repositories (bookworm + bookworm-updates + bookworm-security; Fedora + updates) into
 * the package lists the builder's package manager would see.
 *
 * Debian: apt installs only its candidate, the highest version of each (name, arch) across all
 * sources, so older versions are dropped; sources likewise by name.
 * rpm: dnf sees every version in every enabled repository and picks the best itself (and may need
 * an older one to satisfy `foo = 1.0`), so all binaries stay and only exact NEVRA duplicates (the
 * same build in two layers) are dropped; sources: the highest version per name, as that is what
 * a rebuild would build.
 */
import type { BinaryPackage, DistType, SourcePackage } from '../../resolver/src/types.ts';
import type { DebianSource } from './debian-reader.ts';
import { compareDebianVersions, compareRpmVersions } from './versions.ts';

export interface Layer<S> { binaries: BinaryPackage[]; sources: S[] }

export interface Stacked<S> {
  binaries: BinaryPackage[];
  sources: S[];
  /** How many entries of earlier layers a later one replaced (or duplicated, for rpm binaries). */
  replaced: { binaries: number; sources: number };
}

const debianVersion = (p: { epoch: number; version: string }) => (p.epoch ? `${p.epoch}:${p.version}` : p.version);
const rpmEvr = (p: { epoch: number; version: string; release: string }) => ({ epoch: p.epoch, version: p.version, release: p.release });

/** Keeps per key the item `better` prefers; ties go to the later layer. */
function keepBest<T>(layers: T[][], key: (item: T) => string, better: (a: T, b: T) => number): { items: T[]; replaced: number } {
  const best = new Map<string, T>();
  let replaced = 0;
  for (const layer of layers) {
    for (const item of layer) {
      const k = key(item);
      const current = best.get(k);
      if (current === undefined) best.set(k, item);
      else {
        replaced++;
        if (better(item, current) >= 0) best.set(k, item);
      }
    }
  }
  return { items: [...best.values()], replaced };
}

export function stackRepositories(format: 'deb', layers: Layer<DebianSource>[]): Stacked<DebianSource>;
export function stackRepositories(format: 'rpm', layers: Layer<SourcePackage>[]): Stacked<SourcePackage>;
export function stackRepositories(format: DistType, layers: Layer<DebianSource | SourcePackage>[]): Stacked<DebianSource | SourcePackage>;
export function stackRepositories(format: DistType, layers: Layer<DebianSource | SourcePackage>[]): Stacked<DebianSource | SourcePackage> {
  const compare = format === 'deb'
    ? (a: BinaryPackage | SourcePackage | DebianSource, b: typeof a) => compareDebianVersions(debianVersion(a), debianVersion(b))
    : (a: BinaryPackage | SourcePackage, b: typeof a) => compareRpmVersions(rpmEvr(a), rpmEvr(b));
  const binaries = format === 'deb'
    ? keepBest(layers.map((l) => l.binaries), (b) => `${b.name}\0${b.arch}`, compare)
    : keepBest(layers.map((l) => l.binaries), (b) => `${b.name}\0${b.epoch}\0${b.version}\0${b.release}\0${b.arch}`, () => 0);
  // An Extra-Source-Only entry (kept in the archive for Built-Using) is never what gets built, so it
  // never shadows a real source: bookworm-security lists alabaster 0.7.12-1 as one, at the same
  // version as bookworm's buildable entry, and 233 sources vanished from the stack that way.
  const buildable = (s: DebianSource | SourcePackage) => ('extraSourceOnly' in s && s.extraSourceOnly ? 0 : 1);
  const sources = keepBest(layers.map((l) => l.sources), (s) => s.name,
    (a, b) => buildable(a) - buildable(b) || (compare as (a: DebianSource | SourcePackage, b: DebianSource | SourcePackage) => number)(a, b));
  return { binaries: binaries.items, sources: sources.items, replaced: { binaries: binaries.replaced, sources: sources.replaced } };
}
