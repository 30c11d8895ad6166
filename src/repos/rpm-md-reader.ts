/**
 * rpm-md repositories: repomd.xml, primary (binaries and src.rpm BuildRequires), filelists (only the
 * paths some requirement names) and comps. Every file read is checked against repomd's checksum.
 */
import { repositoryUnreadable } from '../errors.ts';
import type { BinaryPackage, Dependency, Relation, SourcePackage } from '../../resolver/src/types.ts';
import { parseComps, type CompsGroup } from './comps.ts';
import { isMissingFile, readRepositoryFile } from './open-repository-file.ts';
import { dependencyNames, parseRichDependency, RichDependencySyntaxError } from './rich-dependency.ts';
import { parseXmlStream } from './xml-stream.ts';

export interface RepomdEntry {
  type: string;
  href: string;
  checksum: { type: string; value: string };
  timestamp?: number;
  size?: number;
}

export interface Repomd {
  revision: string;
  entries: RepomdEntry[];
}

export async function readRepomd(location: string): Promise<Repomd> {
  const { value } = await readRepositoryFile(location, 'repodata/repomd.xml', async (chunks, file) => {
    const repomd: Repomd = { revision: '', entries: [] };
    let entry: Partial<RepomdEntry> | undefined;
    let checksumType = '';
    let text = '';
    await parseXmlStream(chunks, file, (position) => ({
      open(name, attributes) {
        text = '';
        if (name === 'data') entry = { type: attributes.type };
        else if (entry && name === 'checksum') checksumType = attributes.type;
        else if (entry && name === 'location') entry.href = attributes.href;
      },
      text(t) { text += t; },
      close(name) {
        if (name === 'revision' && !entry) repomd.revision = text.trim();
        if (!entry) return;
        if (name === 'checksum') entry.checksum = { type: checksumType, value: text.trim() };
        else if (name === 'timestamp') entry.timestamp = Number(text.trim());
        else if (name === 'size') entry.size = Number(text.trim());
        else if (name === 'data') {
          for (const field of ['type', 'href', 'checksum'] as const) {
            if (!entry[field]) throw repositoryUnreadable({ file, ...position(), field }, `data entry '${entry.type ?? '?'}' has no ${field}`);
          }
          repomd.entries.push(entry as RepomdEntry);
          entry = undefined;
        }
      },
    }));
    return repomd;
  });
  return value;
}

const FLAGS: Record<string, Relation> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=' };

/** `[epoch:]ver[-rel]`, the epoch left out when 0 or absent. */
export function formatEvr(epoch: string | number | undefined, version: string, release?: string): string {
  const e = epoch !== undefined && epoch !== '' && Number(epoch) !== 0 ? `${epoch}:` : '';
  return `${e}${version}${release ? `-${release}` : ''}`;
}

/** `name-version-release.src.rpm` -> name and `version-release`. */
export function parseSourceRpm(file: string): { name: string; evr: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(file);
  return match ? { name: match[1], evr: `${match[2]}-${match[3]}` } : undefined;
}

type DepField = 'provides' | 'requires' | 'conflicts' | 'obsoletes' | 'recommends' | 'suggests' | 'supplements' | 'enhances';
const DEP_FIELDS = new Set<string>(['provides', 'requires', 'conflicts', 'obsoletes', 'recommends', 'suggests', 'supplements', 'enhances']);

export interface RpmPrimary {
  binaries: BinaryPackage[];
  sources: SourcePackage[];
  /** pkgid (the package checksum) -> binary, for joining filelists. */
  byPkgid: Map<string, BinaryPackage>;
}

/** Streams primary.xml: `arch="src"`/`nosrc` packages become SourcePackages, the rest BinaryPackages. */
export async function parsePrimary(chunks: AsyncIterable<Buffer>, file: string): Promise<RpmPrimary> {
  const result: RpmPrimary = { binaries: [], sources: [], byPkgid: new Map() };
  await parseXmlStream(chunks, file, (position) => {
    let pkg: BinaryPackage | undefined;
    let pkgid = '';
    let inFormat = false;
    let field: DepField | undefined;
    let text = '';
    let capturing = false;
    const fail = (fieldName: string, problem: string): never => {
      throw repositoryUnreadable({ file, ...position(), field: fieldName }, `package '${pkg?.name ?? '?'}': ${problem}`);
    };
    const entry = (a: Record<string, string>): Dependency | undefined => {
      const name = a.name;
      if (!name) fail(field!, 'dependency entry without a name');
      if (name.startsWith('(')) {
        try {
          return parseRichDependency(name);
        } catch (error) {
          if (error instanceof RichDependencySyntaxError) fail(field!, `bad rich dependency: ${error.message}`);
          throw error;
        }
      }
      // rpm answers rpmlib() requirements itself; no package provides them.
      if (field === 'requires' && name.startsWith('rpmlib(')) return undefined;
      if (!a.flags) return { name };
      const relation = FLAGS[a.flags];
      if (!relation) fail(field!, `unknown flags '${a.flags}' on '${name}'`);
      if (a.ver === undefined) fail(field!, `'${name}' has flags but no ver`);
      return { name, relation, evr: formatEvr(a.epoch, a.ver, a.rel) };
    };
    return {
      open(name, a) {
        capturing = false;
        if (name === 'package') {
          pkg = {
            name: '', epoch: 0, version: '', release: '', arch: '', provides: [], requires: [], conflicts: [], obsoletes: [],
            recommends: [], suggests: [], supplements: [], enhances: [], files: [], essential: false, sourceName: '', sourceEvr: '',
          };
          pkgid = '';
          return;
        }
        if (!pkg) return;
        if (name === 'format') inFormat = true;
        else if (name === 'version' && !inFormat) {
          if (a.ver === undefined) fail('version', 'version without ver');
          pkg.epoch = a.epoch ? Number(a.epoch) : 0;
          if (!Number.isInteger(pkg.epoch)) fail('version', `bad epoch '${a.epoch}'`);
          pkg.version = a.ver;
          pkg.release = a.rel ?? '';
        } else if (inFormat && DEP_FIELDS.has(name)) field = name as DepField;
        else if (field && name === 'entry') {
          const dep = entry(a);
          if (dep) pkg[field].push(dep);
        } else if (name === 'checksum' && a.pkgid === 'YES') { capturing = true; text = ''; }
        else if (name === 'name' || name === 'arch' || name === 'sourcerpm' || name === 'file') { capturing = true; text = ''; }
      },
      text(t) { if (capturing) text += t; },
      close(name) {
        if (!pkg) return;
        if (DEP_FIELDS.has(name)) field = undefined;
        else if (name === 'format') inFormat = false;
        else if (!capturing && name !== 'package') return;
        else if (name === 'name' && !inFormat) pkg.name = text.trim();
        else if (name === 'arch' && !inFormat) pkg.arch = text.trim();
        else if (name === 'checksum') pkgid = text.trim();
        else if (name === 'file') pkg.files.push(text.trim());
        else if (name === 'sourcerpm') {
          const rpm = text.trim();
          if (rpm) {
            const parsed = parseSourceRpm(rpm);
            if (!parsed) return fail('sourcerpm', `cannot parse source rpm name '${rpm}'`);
            pkg.sourceName = parsed.name;
            pkg.sourceEvr = parsed.evr;
          }
        } else if (name === 'package') {
          if (!pkg.name || !pkg.arch || !pkg.version) fail('package', 'package lacks name, arch or version');
          if (pkg.arch === 'src' || pkg.arch === 'nosrc') {
            result.sources.push({
              name: pkg.name, epoch: pkg.epoch, version: pkg.version, release: pkg.release,
              buildRequires: pkg.requires, buildConflicts: pkg.conflicts,
            });
          } else {
            if (!pkg.sourceName) { pkg.sourceName = pkg.name; pkg.sourceEvr = formatEvr(undefined, pkg.version, pkg.release); }
            result.binaries.push(pkg);
            if (pkgid) result.byPkgid.set(pkgid, pkg);
          }
          pkg = undefined;
        }
        capturing = false;
      },
    };
  });
  return result;
}

/** File paths that some requirement (or build requirement) names, including inside rich dependencies. */
export function wantedFiles(binaries: BinaryPackage[], sources: SourcePackage[]): Set<string> {
  const wanted = new Set<string>();
  const scan = (deps: Dependency[]) => {
    for (const dep of deps) for (const name of dependencyNames(dep)) if (name.startsWith('/')) wanted.add(name);
  };
  for (const b of binaries) { scan(b.requires); scan(b.conflicts); scan(b.recommends); scan(b.supplements); }
  for (const s of sources) { scan(s.buildRequires); scan(s.buildConflicts); }
  return wanted;
}

/**
 * Streams filelists.xml and adds to each known package (by pkgid) the paths in `wanted` it owns.
 * Only those few paths are kept, so memory stays small even for 50 MB filelists.
 */
export async function addFilelists(chunks: AsyncIterable<Buffer>, file: string, byPkgid: Map<string, BinaryPackage>, wanted: Set<string>): Promise<void> {
  await parseXmlStream(chunks, file, () => {
    let pkg: BinaryPackage | undefined;
    let have: Set<string> | undefined;
    let capturing = false;
    let text = '';
    return {
      open(name, a) {
        if (name === 'package') { pkg = byPkgid.get(a.pkgid); have = undefined; }
        else if (name === 'file' && pkg) { capturing = true; text = ''; }
      },
      text(t) { if (capturing) text += t; },
      close(name) {
        if (name === 'file' && pkg && capturing) {
          const path = text.trim();
          if (wanted.has(path)) {
            have ??= new Set(pkg.files);
            if (!have.has(path)) { have.add(path); pkg.files.push(path); }
          }
        } else if (name === 'package') pkg = undefined;
        capturing = false;
      },
    };
  });
}

/** The first group variant repomd lists (comps may be offered plain and compressed; they are the same). */
const GROUP_TYPES = ['group_gz', 'group', 'group_xz', 'group_zst'];

function entryOf(repomd: Repomd, type: string): RepomdEntry | undefined {
  return repomd.entries.find((e) => e.type === type);
}

export interface RpmRepository {
  location: string;
  repomd: Repomd;
  binaries: BinaryPackage[];
  sources: SourcePackage[];
  groups: CompsGroup[];
  /** pkgid -> binary, kept so filelists of a whole snapshot can be joined later. */
  byPkgid: Map<string, BinaryPackage>;
}

export interface RpmReadOptions {
  /** Read filelists (default true); the paths kept are those `wanted` lists, or else this repository's own `/` requirements. */
  filelists?: boolean;
  wanted?: Set<string>;
  /** Read comps (default true). */
  comps?: boolean;
}

/** Reads one entry of repomd with its checksum verified. */
export async function readEntry<T>(location: string, entry: RepomdEntry, consume: (chunks: AsyncIterable<Buffer>, file: string) => Promise<T>): Promise<T> {
  const { value } = await readRepositoryFile(location, entry.href, consume, { checksum: entry.checksum });
  return value;
}

async function readGroups(location: string, repomd: Repomd): Promise<CompsGroup[]> {
  const variants = GROUP_TYPES.map((t) => entryOf(repomd, t)).filter((e): e is RepomdEntry => e !== undefined);
  for (const entry of variants) {
    try {
      return await readEntry(location, entry, parseComps);
    } catch (error) {
      // Mirrors often drop some variants; only when every listed variant is missing is that an error.
      if (!isMissingFile(error)) throw error;
    }
  }
  if (variants.length > 0) {
    throw repositoryUnreadable({ file: `${location}/repodata/repomd.xml`, field: 'group' },
      `no comps file listed in repomd exists: ${variants.map((v) => v.href).join(', ')}`);
  }
  return [];
}

/** Reads an rpm-md repository: repomd, primary, filelists (if listed), comps (if listed). */
export async function readRpmRepository(location: string, options: RpmReadOptions = {}): Promise<RpmRepository> {
  const repomd = await readRepomd(location);
  const primaryEntry = entryOf(repomd, 'primary');
  if (!primaryEntry) throw repositoryUnreadable({ file: `${location}/repodata/repomd.xml`, field: 'primary' }, 'repomd lists no primary');
  const primary = await readEntry(location, primaryEntry, parsePrimary);
  const groups = options.comps === false ? [] : await readGroups(location, repomd);
  const repo = { location, repomd, binaries: primary.binaries, sources: primary.sources, groups, byPkgid: primary.byPkgid };
  if (options.filelists !== false) await readRepositoryFilelists(repo, options.wanted ?? wantedFiles(repo.binaries, repo.sources));
  return repo;
}

/**
 * Adds the `wanted` paths from the repository's filelists (if repomd lists one) to its binaries.
 * A snapshot calls this after reading every layer's primary, so a requirement in one layer can
 * find a file in another.
 */
export async function readRepositoryFilelists(repo: RpmRepository, wanted: Set<string>): Promise<void> {
  const entry = entryOf(repo.repomd, 'filelists');
  if (entry) await readEntry(repo.location, entry, (chunks, file) => addFilelists(chunks, file, repo.byPkgid, wanted));
}

export interface RpmFingerprint { revision: string; checksums: Record<string, string> }

/** What identifies the repository state: repomd revision and the checksums of the files it lists. */
export function rpmFingerprint(repomd: Repomd): RpmFingerprint {
  return {
    revision: repomd.revision,
    checksums: Object.fromEntries(repomd.entries.map((e) => [e.type, `${e.checksum.type}:${e.checksum.value}`])),
  };
}

export const readRpmFingerprint = async (location: string): Promise<RpmFingerprint> => rpmFingerprint(await readRepomd(location));
