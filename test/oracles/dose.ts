/**
 * Runs dose-builddebcheck, the reference for Debian build-dependency satisfiability, and returns
 * one verdict per source package. README.md in this folder records how dose builds each check
 * (build-essential added, Essential packages included, Build-Depends-Indep included, ...).
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { ErrorCode, RippleError } from '../../src/errors.ts';

export interface DoseOptions {
  /** Packages files, plain or .xz. */
  packages: string[];
  /** Sources file, plain or .xz. */
  sources: string;
  arch: 'amd64';
  /** Check only these source packages (a sample); dose sees every binary package either way. */
  sourceNames?: string[];
  /**
   * Also check `Extra-Source-Only: yes` stanzas (old sources kept only for Built-Using). dose 7.0.0
   * checks them despite its --help; they are dropped by default so every name has one verdict.
   */
  includeExtraSource?: boolean;
}

export interface DoseVerdict {
  status: 'ok' | 'broken';
  version: string;
  /** One line per reason: `missing <dependency> (needed by <package>)` or `conflict <a> <b> (<conflict>)`. */
  reasons: string;
  /** For `ok`: the installation set dose found, `name_version_arch`, sorted. */
  installationSet: string[];
}

/**
 * Reads dose's YAML report line by line: with --successes --explain it lists a whole installation
 * set per source, several hundred MB for a full archive, too large for a YAML parser's one string.
 * The layout is fixed by indentation: entry fields at 2 spaces, installation set members at 4,
 * the package and unsatisfied relation of a reason at 6.
 */
async function readReport(file: string): Promise<Map<string, DoseVerdict>> {
  const verdicts = new Map<string, DoseVerdict>();
  let current: DoseVerdict | undefined;
  let section = '';
  let member: Record<string, string> = {};
  let reason: Record<string, string> = {};
  const closeMember = () => {
    if (current && member.package) current.installationSet.push(`${member.package}_${member.version}_${member.architecture}`);
    member = {};
  };
  const closeReason = () => {
    if (current && reason.kind) {
      const line = reason.kind === 'missing'
        ? `missing ${reason['unsat-dependency']} (needed by ${reason.pkg})`
        : `conflict ${reason.pkg1} ${reason.pkg2} (${reason['unsat-conflict']})`;
      current.reasons = current.reasons ? `${current.reasons}\n${line}` : line;
    }
    reason = {};
  };
  let at = '';
  for await (const line of createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    const match = /^( *)(-|[\w-]+):\s*(.*)$/.exec(line) ?? /^( *)(-)$/.exec(line);
    if (!match) continue;
    const [, spaces, key, value = ''] = match;
    const indent = spaces.length;
    if (indent === 2 && key === 'package') {
      closeMember();
      closeReason();
      current = { status: 'ok', version: '', reasons: '', installationSet: [] };
      verdicts.set(value, current);
      section = '';
    } else if (indent === 2 && current) {
      if (key === 'version') current.version = value;
      else if (key === 'status') current.status = value === 'broken' ? 'broken' : 'ok';
      else section = key;
    } else if (section === 'installationset') {
      if (indent === 3) closeMember();
      else if (indent === 4) member[key] = value;
    } else if (section === 'reasons') {
      if (indent === 4 && (key === 'missing' || key === 'conflict')) {
        closeReason();
        reason.kind = key;
      } else if (indent === 5) at = key;
      else if (indent === 6 && key === 'package' && (at === 'pkg' || at === 'pkg1' || at === 'pkg2')) reason[at] = value;
      else if (indent === 6 && key.startsWith('unsat-')) reason[key] = value;
    }
  }
  closeMember();
  closeReason();
  for (const verdict of verdicts.values()) verdict.installationSet.sort();
  return verdicts;
}

async function plainCopy(file: string, dir: string): Promise<string> {
  if (!file.endsWith('.xz')) return file;
  const target = join(dir, `${Math.random().toString(36).slice(2)}-${basename(file, '.xz')}`);
  const xz = spawn('xz', ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => xz.on('close', resolve));
  await pipeline(xz.stdout, createWriteStream(target));
  if ((await exited) !== 0) {
    throw new RippleError(ErrorCode.RepositoryUnreadable, `${file}: xz could not decompress it`, { file });
  }
  return target;
}

/** Writes the stanzas `keep` accepts to a new file; dose's --checkonly matches binary names too, so it is not used. */
async function filterSources(file: string, keep: (stanza: string) => boolean, dir: string): Promise<string> {
  const kept: string[] = [];
  let stanza = '';
  const flush = () => {
    if (stanza && keep(stanza)) kept.push(stanza.trimEnd() + '\n');
    stanza = '';
  };
  const stream = createReadStream(file, { encoding: 'utf8' });
  let rest = '';
  for await (const chunk of stream) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') flush();
      else stanza += line + '\n';
    }
  }
  stanza += rest;
  flush();
  const target = join(dir, 'Sources.sample');
  await writeFile(target, kept.join('\n'));
  return target;
}

export async function runDoseBuilddebcheck(options: DoseOptions): Promise<Map<string, DoseVerdict>> {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-dose-'));
  try {
    const packages = await Promise.all(options.packages.map((p) => plainCopy(p, dir)));
    const wanted = options.sourceNames && new Set(options.sourceNames);
    const sources = await filterSources(
      await plainCopy(options.sources, dir),
      (stanza) =>
        (!wanted || wanted.has(/^Package:\s*(\S+)/m.exec(stanza)?.[1] ?? '')) &&
        (options.includeExtraSource === true || !/^Extra-Source-Only:\s*yes\s*$/im.test(stanza)),
      dir,
    );
    const report = join(dir, 'report.yaml');
    const args = [`--deb-native-arch=${options.arch}`, '--successes', '--failures', '--explain', `--outfile=${report}`, ...packages, sources];
    try {
      await promisify(execFile)('dose-builddebcheck', args, { maxBuffer: 64 << 20 });
    } catch (error) {
      // Exit 1 only says some source is broken; 64 and above are dose's own failures.
      const code = (error as { code?: unknown }).code;
      if (code !== 1) {
        throw new RippleError(
          ErrorCode.MissingPrerequisite,
          `dose-builddebcheck failed (run scripts/install-test-tools.sh): ${(error as Error).message}`,
          { args },
          { cause: error },
        );
      }
    }
    return await readReport(report);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
