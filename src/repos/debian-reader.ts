/**
 * Debian archive indices: Release/InRelease, Packages and Sources (deb822 stanzas, plain/.gz/.xz),
 * streamed line by line. Binaries become the shared BinaryPackage; sources keep their unreduced
 * build relations (DebianSource) until reduceBuildDependencies picks an architecture and profiles.
 */
import { repositoryUnreadable, type FilePosition } from '../errors.ts';
import type { BinaryPackage, Dependency, SourcePackage } from '../../resolver/src/types.ts';
import {
  parseDebianRelations, reduceRelations, relationToDependency, debianArchMatches, type DebianRelation,
} from './debian-relations.ts';
import { isMissingFile, lineBatches, rawFileDigest, readRepositoryFile } from './open-repository-file.ts';
import { parseDebianVersion } from './versions.ts';

export interface Stanza {
  /** Line number (1-based) of the stanza's first field. */
  line: number;
  fields: Map<string, string>;
  /** Line of each field, for error positions. */
  lines: Map<string, number>;
}

/**
 * Parses deb822 text into stanzas, calling `onStanza` for each. Continuation lines (leading space or
 * tab) extend the previous field, ` .` stands for an empty line; `#` lines are comments.
 */
export async function readStanzas(chunks: AsyncIterable<Buffer>, file: string, onStanza: (stanza: Stanza) => void): Promise<void> {
  let current: Stanza | undefined;
  let lastField: string | undefined;
  let lineNumber = 0;
  const finish = () => {
    if (current) onStanza(current);
    current = undefined;
    lastField = undefined;
  };
  for await (const batch of lineBatches(chunks)) {
    for (let raw of batch) {
      lineNumber++;
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      if (raw.trim() === '') { finish(); continue; }
      const first = raw.charCodeAt(0);
      if (first === 35 /* # */) continue;
      if (first === 32 || first === 9) {
        if (!current || lastField === undefined) {
          throw repositoryUnreadable({ file, line: lineNumber }, 'continuation line outside a field');
        }
        const text = raw.trim();
        current.fields.set(lastField, `${current.fields.get(lastField)}\n${text === '.' ? '' : text}`);
        continue;
      }
      const colon = raw.indexOf(':');
      if (colon <= 0 || /\s/.test(raw.slice(0, colon))) {
        throw repositoryUnreadable({ file, line: lineNumber }, `malformed line (expected 'Field: value'): '${raw.slice(0, 80)}'`);
      }
      if (!current) current = { line: lineNumber, fields: new Map(), lines: new Map() };
      lastField = raw.slice(0, colon);
      if (current.fields.has(lastField)) {
        throw repositoryUnreadable({ file, line: lineNumber, field: lastField }, 'field repeated in one stanza');
      }
      current.fields.set(lastField, raw.slice(colon + 1).trim());
      current.lines.set(lastField, lineNumber);
    }
  }
  finish();
}

function required(stanza: Stanza, field: string, file: string): string {
  const value = stanza.fields.get(field);
  if (value === undefined || value === '') {
    throw repositoryUnreadable({ file, line: stanza.line, field }, `stanza has no ${field} field`);
  }
  return value;
}

function position(stanza: Stanza, field: string, file: string): FilePosition {
  return { file, line: stanza.lines.get(field) ?? stanza.line, field };
}

function relationsOf(stanza: Stanza, fields: string[], file: string): DebianRelation[] {
  const all: DebianRelation[] = [];
  for (const field of fields) {
    const value = stanza.fields.get(field);
    if (value) all.push(...parseDebianRelations(value, position(stanza, field, file)));
  }
  return all;
}

const dependencies = (stanza: Stanza, fields: string[], file: string): Dependency[] =>
  relationsOf(stanza, fields, file).map(relationToDependency);

function checkVersion(version: string, stanza: Stanza, file: string): void {
  if (!/^(\d+:)?[0-9A-Za-z.+~:-]+$/.test(version) || !/^(\d+:)?[0-9]/.test(version)) {
    throw repositoryUnreadable(position(stanza, 'Version', file), `invalid version '${version}'`);
  }
}

const MULTI_ARCH = new Set(['same', 'foreign', 'allowed', 'no']);

/** One Packages stanza as the shared model (Debian: release is always '', version excludes the epoch). */
export function binaryFromStanza(stanza: Stanza, file: string): BinaryPackage {
  const name = required(stanza, 'Package', file);
  const fullVersion = required(stanza, 'Version', file);
  checkVersion(fullVersion, stanza, file);
  const { epoch } = parseDebianVersion(fullVersion);
  const sourceField = stanza.fields.get('Source');
  let sourceName = name;
  let sourceEvr = fullVersion;
  if (sourceField) {
    const match = /^(\S+)(?:\s+\((\S+)\))?$/.exec(sourceField);
    if (!match) throw repositoryUnreadable(position(stanza, 'Source', file), `cannot parse Source '${sourceField}'`);
    sourceName = match[1];
    sourceEvr = match[2] ?? fullVersion;
  }
  const multiArch = stanza.fields.get('Multi-Arch');
  if (multiArch !== undefined && !MULTI_ARCH.has(multiArch)) {
    throw repositoryUnreadable(position(stanza, 'Multi-Arch', file), `unknown Multi-Arch value '${multiArch}'`);
  }
  const provides = dependencies(stanza, ['Provides'], file);
  if (provides.some((p) => 'op' in p || (p.relation !== undefined && p.relation !== '='))) {
    throw repositoryUnreadable(position(stanza, 'Provides', file), 'Provides allows only plain names and (= version)');
  }
  return {
    name,
    epoch,
    version: fullVersion.slice(fullVersion.indexOf(':') + 1),
    release: '',
    arch: required(stanza, 'Architecture', file),
    provides,
    requires: dependencies(stanza, ['Pre-Depends', 'Depends'], file),
    conflicts: dependencies(stanza, ['Conflicts', 'Breaks'], file),
    obsoletes: [],
    recommends: dependencies(stanza, ['Recommends'], file),
    suggests: dependencies(stanza, ['Suggests'], file),
    supplements: [],
    enhances: dependencies(stanza, ['Enhances'], file),
    files: [],
    essential: stanza.fields.get('Essential') === 'yes',
    ...(multiArch ? { multiArch: multiArch as BinaryPackage['multiArch'] } : {}),
    sourceName,
    sourceEvr,
  };
}

/** A Sources stanza with its build relations still carrying architecture and profile restrictions. */
export interface DebianSource {
  name: string;
  /** The whole version string, `[epoch:]upstream[-revision]`. */
  fullVersion: string;
  epoch: number;
  /** Version without the epoch, as in BinaryPackage. */
  version: string;
  /** Architecture field: concrete names, wildcards, `all`. */
  architectures: string[];
  /** Binary field: the binary package names this source builds. */
  binaries: string[];
  extraSourceOnly: boolean;
  buildDepends: DebianRelation[];
  buildDependsArch: DebianRelation[];
  buildDependsIndep: DebianRelation[];
  buildConflicts: DebianRelation[];
  buildConflictsArch: DebianRelation[];
  buildConflictsIndep: DebianRelation[];
}

export function sourceFromStanza(stanza: Stanza, file: string): DebianSource {
  const name = required(stanza, 'Package', file);
  const fullVersion = required(stanza, 'Version', file);
  checkVersion(fullVersion, stanza, file);
  return {
    name,
    fullVersion,
    epoch: parseDebianVersion(fullVersion).epoch,
    version: fullVersion.slice(fullVersion.indexOf(':') + 1),
    architectures: required(stanza, 'Architecture', file).split(/\s+/),
    binaries: (stanza.fields.get('Binary') ?? '').split(',').map((b) => b.trim()).filter(Boolean),
    extraSourceOnly: stanza.fields.get('Extra-Source-Only') === 'yes',
    buildDepends: relationsOf(stanza, ['Build-Depends'], file),
    buildDependsArch: relationsOf(stanza, ['Build-Depends-Arch'], file),
    buildDependsIndep: relationsOf(stanza, ['Build-Depends-Indep'], file),
    buildConflicts: relationsOf(stanza, ['Build-Conflicts'], file),
    buildConflictsArch: relationsOf(stanza, ['Build-Conflicts-Arch'], file),
    buildConflictsIndep: relationsOf(stanza, ['Build-Conflicts-Indep'], file),
  };
}

export interface ReduceOptions {
  arch: string;
  /** Active build profiles (`nocheck`, `stage1`, ...). */
  profiles?: string[];
  /** Whether Architecture: all packages are built too (adds the -Indep fields). */
  includeIndep?: boolean;
}

/** The build needs of `source` on one architecture with one profile set, in the shared model. */
export function reduceBuildDependencies(source: DebianSource, { arch, profiles = [], includeIndep = true }: ReduceOptions): SourcePackage {
  const active = new Set(profiles);
  const pick = (base: DebianRelation[], archOnly: DebianRelation[], indep: DebianRelation[]) =>
    reduceRelations([...base, ...archOnly, ...(includeIndep ? indep : [])], arch, active);
  return {
    name: source.name,
    epoch: source.epoch,
    version: source.version,
    release: '',
    buildRequires: pick(source.buildDepends, source.buildDependsArch, source.buildDependsIndep),
    buildConflicts: pick(source.buildConflicts, source.buildConflictsArch, source.buildConflictsIndep),
  };
}

/** Whether the source builds anything on `arch`: its Architecture has `all` or a name/wildcard matching it. */
export function buildsOn(source: DebianSource, arch: string): boolean {
  return source.architectures.some((pattern) => pattern === 'all' || debianArchMatches(arch, pattern));
}

export interface ReleaseFile { path: string; size: number; sha256: string }

export interface DebianRelease {
  date?: string;
  suite?: string;
  codename?: string;
  architectures: string[];
  sha256: ReleaseFile[];
}

/** Removes an OpenPGP clear-signature (InRelease) and its dash-escaping; plain Release text passes through. */
export function stripClearSign(text: string, file: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const lines = text.split('\n');
  let i = 1;
  while (i < lines.length && lines[i].trim() !== '') i++; // armour headers (Hash: ...)
  const body: string[] = [];
  for (i++; i < lines.length; i++) {
    if (lines[i].startsWith('-----BEGIN PGP SIGNATURE-----')) return body.join('\n');
    body.push(lines[i].startsWith('- ') ? lines[i].slice(2) : lines[i]);
  }
  throw repositoryUnreadable({ file, line: lines.length }, 'clear-signed message has no signature block (truncated?)');
}

export async function parseRelease(text: string, file: string): Promise<DebianRelease> {
  let stanza: Stanza | undefined;
  const body = stripClearSign(text, file);
  await readStanzas((async function* () { yield Buffer.from(body); })(), file, (s) => { stanza ??= s; });
  if (!stanza) throw repositoryUnreadable({ file }, 'Release file is empty');
  const sha256 = (stanza.fields.get('SHA256') ?? '').split('\n').filter((l) => l.trim() !== '').map((entry) => {
    const [hash, size, path] = entry.trim().split(/\s+/);
    if (!path || !/^[0-9a-f]{64}$/.test(hash) || !/^\d+$/.test(size)) {
      throw repositoryUnreadable(position(stanza!, 'SHA256', file), `malformed SHA256 entry '${entry.trim()}'`);
    }
    return { path, size: Number(size), sha256: hash };
  });
  return {
    date: stanza.fields.get('Date'),
    suite: stanza.fields.get('Suite'),
    codename: stanza.fields.get('Codename'),
    architectures: (stanza.fields.get('Architectures') ?? '').split(/\s+/).filter(Boolean),
    sha256,
  };
}

/** Where the index files of one Debian repository are, relative to its location. */
export interface DebianLayout {
  /** Tried in order; the first that exists is read. */
  release: string[];
  packages: string[];
  sources: string[];
}

/** A flat repository (`Packages.xz` next to `InRelease`), as in the team data and `apt-ftparchive` trees. */
export const FLAT_LAYOUT: DebianLayout = {
  release: ['InRelease', 'Release'],
  packages: ['Packages.xz', 'Packages.gz', 'Packages'],
  sources: ['Sources.xz', 'Sources.gz', 'Sources'],
};

/** Reads the first existing candidate; "missing" errors on all of them become one error naming them all. */
export async function readFirstExisting<T>(
  base: string, candidates: string[],
  consume: (chunks: AsyncIterable<Buffer>, address: string) => Promise<T>,
): Promise<{ href: string; value: T; rawDigest: string }> {
  for (const href of candidates) {
    try {
      const { value, rawDigest } = await readRepositoryFile(base, href, consume);
      return { href, value, rawDigest };
    } catch (error) {
      if (!isMissingFile(error)) throw error;
    }
  }
  throw repositoryUnreadable({ file: `${base}/{${candidates.join(',')}}` }, 'none of these files exists');
}

async function findFirstExisting(base: string, candidates: string[]): Promise<{ href: string; rawDigest: string }> {
  for (const href of candidates) {
    try {
      return { href, rawDigest: await rawFileDigest(base, href) };
    } catch (error) {
      if (!isMissingFile(error)) throw error;
    }
  }
  throw repositoryUnreadable({ file: `${base}/{${candidates.join(',')}}` }, 'none of these files exists');
}

async function collectText(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

export interface DebianIndexDigests {
  release: { href: string; sha256: string };
  packages: { href: string; sha256: string };
  sources: { href: string; sha256: string };
}

export interface DebianRepository {
  location: string;
  release: DebianRelease;
  binaries: BinaryPackage[];
  sources: DebianSource[];
  /** sha256 of the raw index files read. */
  digests: DebianIndexDigests;
}

export const readDebianRelease = (location: string, layout: DebianLayout = FLAT_LAYOUT) =>
  readFirstExisting(location, layout.release, async (chunks, address) => parseRelease(await collectText(chunks), address));

/** Reads Release, Packages and Sources of one repository (Packages and Sources concurrently). */
export async function readDebianRepository(location: string, layout: DebianLayout = FLAT_LAYOUT): Promise<DebianRepository> {
  const binaries: BinaryPackage[] = [];
  const sources: DebianSource[] = [];
  const [release, packages, sourceIndex] = await Promise.all([
    readDebianRelease(location, layout),
    readFirstExisting(location, layout.packages, (chunks, address) =>
      readStanzas(chunks, address, (s) => binaries.push(binaryFromStanza(s, address)))),
    readFirstExisting(location, layout.sources, (chunks, address) =>
      readStanzas(chunks, address, (s) => sources.push(sourceFromStanza(s, address)))),
  ]);
  return {
    location,
    release: release.value,
    binaries,
    sources,
    digests: {
      release: { href: release.href, sha256: release.rawDigest },
      packages: { href: packages.href, sha256: packages.rawDigest },
      sources: { href: sourceIndex.href, sha256: sourceIndex.rawDigest },
    },
  };
}

/** The Release date plus raw digests of the index files: cheap (no decompression, no parsing). */
export async function readDebianFingerprint(location: string, layout: DebianLayout = FLAT_LAYOUT): Promise<{ date?: string; digests: DebianIndexDigests }> {
  const [release, packages, sourceIndex] = await Promise.all([
    readDebianRelease(location, layout),
    findFirstExisting(location, layout.packages),
    findFirstExisting(location, layout.sources),
  ]);
  return {
    date: release.value.date,
    digests: {
      release: { href: release.href, sha256: release.rawDigest },
      packages: { href: packages.href, sha256: packages.rawDigest },
      sources: { href: sourceIndex.href, sha256: sourceIndex.rawDigest },
    },
  };
}
