/**
 * The readers' front door: a repository or a stack of them (a snapshot) in either format, as the
 * lists the resolver needs, plus a fingerprint a watcher can recompute cheaply to see a change.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, RippleError } from '../errors.ts';
import type { BinaryPackage, DistType, SourcePackage } from '../../resolver/src/types.ts';
import type { CompsGroup } from './comps.ts';
import { readDebianFingerprint, readDebianRepository, type DebianLayout, type DebianSource, FLAT_LAYOUT } from './debian-reader.ts';
import { stackRepositories } from './overlay.ts';
import { readRepositoryFilelists, readRpmFingerprint, readRpmRepository, rpmFingerprint, wantedFiles } from './rpm-md-reader.ts';

export interface SnapshotOptions {
  /** rpm: read filelists (default true). */
  filelists?: boolean;
  /** rpm: read comps (default true). */
  comps?: boolean;
  /** Debian: where Release/Packages/Sources are below each location. */
  debianLayout?: DebianLayout;
}

export interface Fingerprint {
  /** sha256 over `layers`; equal digests mean nothing the readers look at changed. */
  digest: string;
  /** rpm: repomd revision and listed checksums; Debian: Release date and raw index digests. */
  layers: unknown[];
}

interface SnapshotBase {
  binaries: BinaryPackage[];
  fingerprint: Fingerprint;
  /** Entries of earlier layers replaced by later ones (see overlay.ts). */
  replaced: { binaries: number; sources: number };
}

export interface RpmSnapshot extends SnapshotBase {
  format: 'rpm';
  sources: SourcePackage[];
  /** comps groups of all layers; a later layer's group replaces an earlier one with the same id. */
  groups: CompsGroup[];
}

export interface DebianSnapshot extends SnapshotBase {
  format: 'deb';
  /** Unreduced; see reduceBuildDependencies. */
  sources: DebianSource[];
  /** Names of the Essential: yes packages (every Debian buildroot has them). */
  essential: string[];
}

export type Snapshot = RpmSnapshot | DebianSnapshot;

function fingerprintOf(layers: unknown[]): Fingerprint {
  return { digest: createHash('sha256').update(JSON.stringify(layers)).digest('hex'), layers };
}

export function readSnapshot(layers: string[], format: 'rpm', options?: SnapshotOptions): Promise<RpmSnapshot>;
export function readSnapshot(layers: string[], format: 'deb', options?: SnapshotOptions): Promise<DebianSnapshot>;
export function readSnapshot(layers: string[], format: DistType, options?: SnapshotOptions): Promise<Snapshot>;
/** Reads every layer (in order: base first, overlays after) and stacks them; throws on any unreadable layer. */
export async function readSnapshot(layers: string[], format: DistType, options: SnapshotOptions = {}): Promise<Snapshot> {
  return stackLayers(await readLayers(layers, format, options));
}

/**
 * One repository of a snapshot's overlay stack, parsed but not stacked: the unit stored
 * content-addressed, so an unchanged repository is kept once however many snapshots use it.
 */
export type SnapshotLayer =
  | { format: 'rpm'; key: string; fingerprint: unknown; binaries: BinaryPackage[]; sources: SourcePackage[]; groups: CompsGroup[] }
  | { format: 'deb'; key: string; fingerprint: unknown; binaries: BinaryPackage[]; sources: DebianSource[] };

const sha256 = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * Reads each layer as published. A layer's key is the digest of its raw metadata checksums; for
 * rpm also of the file paths kept from filelists, since which files matter depends on the whole
 * stack (an update may require a file of a base package).
 */
export async function readLayers(layers: string[], format: DistType, options: SnapshotOptions = {}): Promise<SnapshotLayer[]> {
  if (format === 'deb') {
    const repos = await Promise.all(layers.map((l) => readDebianRepository(l, options.debianLayout ?? FLAT_LAYOUT)));
    return repos.map((r) => {
      const fingerprint = { date: r.release.date, digests: r.digests };
      return { format, key: debianLayerKey(fingerprint), fingerprint, binaries: r.binaries, sources: r.sources };
    });
  }
  const repos = [];
  for (const location of layers) repos.push(await readRpmRepository(location, { filelists: false, comps: options.comps }));
  let wantedDigest = 'no-filelists';
  if (options.filelists !== false) {
    const wanted = wantedFiles(repos.flatMap((r) => r.binaries), repos.flatMap((r) => r.sources));
    wantedDigest = sha256([...wanted].sort());
    for (const repo of repos) await readRepositoryFilelists(repo, wanted);
  }
  return repos.map((r) => {
    const fingerprint = rpmFingerprint(r.repomd);
    return { format, key: sha256(['rpm', fingerprint, wantedDigest]), fingerprint, binaries: r.binaries, sources: r.sources, groups: r.groups };
  });
}

/**
 * The key of a Debian layer from its fingerprint (readFingerprint's `layers` entry): lets a stored
 * layer be reused without reading the repository again. (An rpm layer's key also depends on the
 * filelists the whole stack needs, so only reading tells it.)
 */
export function debianLayerKey(fingerprint: unknown): string {
  return sha256(['deb', fingerprint]);
}

/** Stacks layers (base first) into what the package manager sees; see overlay.ts for the rules. */
export function stackLayers(layers: SnapshotLayer[]): Snapshot {
  const fingerprint = fingerprintOf(layers.map((l) => l.fingerprint));
  if (layers.every((l): l is Extract<SnapshotLayer, { format: 'deb' }> => l.format === 'deb')) {
    const stacked = stackRepositories('deb', layers);
    return {
      format: 'deb',
      binaries: stacked.binaries,
      sources: stacked.sources,
      essential: [...new Set(stacked.binaries.filter((b) => b.essential).map((b) => b.name))].sort(),
      replaced: stacked.replaced,
      fingerprint,
    };
  }
  if (!layers.every((l): l is Extract<SnapshotLayer, { format: 'rpm' }> => l.format === 'rpm')) {
    throw new RippleError(ErrorCode.InvalidInput, 'a snapshot cannot stack rpm-md and Debian repositories', { field: 'sources' });
  }
  const stacked = stackRepositories('rpm', layers);
  const groups = new Map<string, CompsGroup>();
  for (const layer of layers) for (const group of layer.groups) groups.set(group.id, group);
  return { format: 'rpm', binaries: stacked.binaries, sources: stacked.sources, groups: [...groups.values()], replaced: stacked.replaced, fingerprint };
}

export function readRepository(location: string, format: 'rpm', options?: SnapshotOptions): Promise<RpmSnapshot>;
export function readRepository(location: string, format: 'deb', options?: SnapshotOptions): Promise<DebianSnapshot>;
export function readRepository(location: string, format: DistType, options?: SnapshotOptions): Promise<Snapshot>;
/** One repository exactly as published (no overlay rules applied), with the same result shape as a snapshot. */
export async function readRepository(location: string, format: DistType, options: SnapshotOptions = {}): Promise<Snapshot> {
  const [layer] = await readLayers([location], format, options);
  const snapshot = stackLayers([layer!]);
  // As published: every entry, even several versions of one name.
  return { ...snapshot, binaries: layer!.binaries, sources: layer!.sources, replaced: { binaries: 0, sources: 0 } } as Snapshot;
}

/**
 * The fingerprint readSnapshot would report for these layers, without parsing packages: rpm reads
 * only repomd.xml; Debian reads Release and hashes the raw index files (no decompression).
 */
export async function readFingerprint(layers: string | string[], format: DistType, options: SnapshotOptions = {}): Promise<Fingerprint> {
  const list = typeof layers === 'string' ? [layers] : layers;
  const per = await Promise.all(list.map((l) =>
    format === 'deb' ? readDebianFingerprint(l, options.debianLayout ?? FLAT_LAYOUT) : readRpmFingerprint(l)));
  return fingerprintOf(per);
}
