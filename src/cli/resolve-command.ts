/**
 * `ripple resolve <repo|overlay...> [source...]`: resolves buildroots of sources in a repository or
 * an overlay stack (base first) and prints them as tables or JSON. Exit codes: 0 all resolved,
 * 3 some source unresolvable, 1 user error (unreadable repository, unknown source, bad option).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DistType } from '../../resolver/src/types.ts';
import { ErrorCode, RippleError, invalidInput } from '../errors.ts';
import { readSnapshot } from '../repos/read-repository.ts';
import {
  SnapshotResolver, buildSources, defaultSettings, nevra,
  type BaseBuildroot, type BuildrootPackage, type ResolutionSettings, type SourceOutcome,
} from '../resolution/snapshot-resolver.ts';
import { createProgressBar } from './progress-bar.ts';
import { formatTable } from './table.ts';

export const help = `usage: ripple resolve <repo|overlay...> [source...] [options]

Repositories are directories or URLs, base first; several form an overlay stack. The first
argument that is neither an existing path nor a URL starts the source names (default: every source).

  --format rpm|deb        repository format (default: detected from repodata/repomd.xml or Release/InRelease)
  --arch ARCH             architecture (default x86_64 for rpm, amd64 for deb)
  --base-group ID         rpm: base buildroot is this comps group (default build)
  --base-packages a,b     base buildroot is these packages (deb: plus Essential: yes packages)
  --weak-deps             install weak dependencies (Recommends)
  --all-alternatives      deb: consider every alternative of a | b (default: the first, as sbuild)
  --profiles a,b          deb: build profiles in effect
  --threads N             resolver workers (default: one per core)
  --json                  print JSON instead of tables

Exit status: 0 every source resolved, 3 some source unresolvable, 1 error.`;

const isUrl = (arg: string) => /^(https?|file):\/\//.test(arg);

async function exists(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD' });
    return response.ok;
  } catch {
    return false;
  }
}

/** rpm-md has repodata/repomd.xml; a Debian flat repository has Release or InRelease. */
export async function detectFormat(location: string): Promise<DistType> {
  const probe = isUrl(location) && !location.startsWith('file://')
    ? (file: string) => exists(`${location.replace(/\/+$/, '')}/${file}`)
    : async (file: string) => existsSync(join(location.startsWith('file://') ? new URL(location).pathname : location, file));
  if (await probe('repodata/repomd.xml')) return 'rpm';
  if ((await probe('InRelease')) || (await probe('Release'))) return 'deb';
  throw new RippleError(ErrorCode.RepositoryUnreadable, `${location}: not a repository (no repodata/repomd.xml, Release or InRelease); give --format to read it anyway`, { file: location });
}

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function settingsFrom(format: DistType, values: Record<string, string | boolean | undefined>): ResolutionSettings {
  if (values['base-group'] !== undefined && values['base-packages'] !== undefined) {
    throw invalidInput('base', '--base-group and --base-packages exclude each other');
  }
  const overrides: Partial<ResolutionSettings> = {};
  if (typeof values.arch === 'string') overrides.arch = values.arch;
  if (typeof values['base-group'] === 'string') overrides.base = { group: values['base-group'] };
  if (typeof values['base-packages'] === 'string') {
    overrides.base = { packages: list(values['base-packages']), essential: format === 'deb' } satisfies BaseBuildroot;
  }
  if (values['weak-deps']) overrides.weakDependencies = true;
  if (values['all-alternatives']) overrides.firstAlternativeOnly = false;
  if (typeof values.profiles === 'string') overrides.profiles = list(values.profiles);
  return defaultSettings(format, overrides);
}

function evrOf(p: { epoch: number; version: string; release: string }): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

function memberJson(m: BuildrootPackage) {
  const b = m.binary;
  return { name: b.name, epoch: b.epoch, version: b.version, release: b.release, arch: b.arch, nevra: nevra(b), distance: m.distance, base: m.base };
}

function outcomeJson(o: SourceOutcome) {
  const head = { name: o.source.name, evr: evrOf(o.source), resolved: o.resolved };
  return o.resolved ? { ...head, buildroot: o.buildroot.map(memberJson) } : { ...head, problems: o.problems };
}

function buildrootTable(o: Extract<SourceOutcome, { resolved: true }>): string {
  const rows = [...o.buildroot]
    .sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity) || a.binary.name.localeCompare(b.binary.name))
    .map((m) => [m.binary.name, evrOf(m.binary), m.binary.arch, m.distance, m.base ? 'base' : '']);
  return formatTable(['name', 'version', 'arch', 'distance', 'base'], rows);
}

function problemText(o: Extract<SourceOutcome, { resolved: false }>): string {
  return o.problems.map((p, i) => `  problem ${i + 1}:\n${p.sentences.map((s) => `    ${s}`).join('\n')}`).join('\n');
}

function summary(outcomes: SourceOutcome[], ms: number): string {
  const resolved = outcomes.filter((o) => o.resolved);
  const broken = outcomes.filter((o): o is Extract<SourceOutcome, { resolved: false }> => !o.resolved);
  const sizes = resolved.map((o) => o.buildroot.length);
  const counts = formatTable(['sources', 'resolved', 'unresolvable', 'mean buildroot', 'wall ms', 'ms/source'], [[
    outcomes.length, resolved.length, broken.length,
    sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : null,
    Math.round(ms), outcomes.length ? Number((ms / outcomes.length).toFixed(2)) : null,
  ]]);
  // The pool reports no per-source time, so the biggest buildroots stand in for the costliest ones.
  const largest = [...resolved].sort((a, b) => b.buildroot.length - a.buildroot.length).slice(0, 5)
    .map((o) => [o.source.name, evrOf(o.source), o.buildroot.length]);
  const parts = [counts, '', 'largest buildroots:', formatTable(['source', 'version', 'packages'], largest)];
  if (broken.length) {
    parts.push('', 'unresolvable:', formatTable(['source', 'version', 'first problem'],
      broken.map((o) => [o.source.name, evrOf(o.source), o.problems[0]?.sentences[0] ?? '(no details)'])));
  }
  return parts.join('\n');
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string' }, arch: { type: 'string' }, 'base-group': { type: 'string' }, 'base-packages': { type: 'string' },
        'weak-deps': { type: 'boolean' }, 'all-alternatives': { type: 'boolean' }, profiles: { type: 'string' },
        threads: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw invalidInput('arguments', `${(error as Error).message}\n\n${help}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(help);
    return 0;
  }
  const split = positionals.findIndex((p) => !isUrl(p) && !existsSync(p));
  const repos = split === -1 ? positionals : positionals.slice(0, split);
  const wanted = split === -1 ? [] : positionals.slice(split);
  if (repos.length === 0) {
    throw invalidInput('repositories', `${positionals[0] === undefined ? 'no repository given' : `repository '${positionals[0]}' does not exist`}\n\n${help}`);
  }
  for (const repo of repos) {
    if (!isUrl(repo) && !statSync(repo).isDirectory()) throw invalidInput('repositories', `repository '${repo}' is not a directory`);
  }
  if (values.format !== undefined && values.format !== 'rpm' && values.format !== 'deb') {
    throw invalidInput('format', `--format must be rpm or deb, got '${values.format}'`);
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw invalidInput('threads', `--threads must be a positive integer, got '${values.threads}'`);

  const format = (values.format as DistType | undefined) ?? (await detectFormat(repos[0]!));
  const settings = settingsFrom(format, values);
  const snapshot = await readSnapshot(repos, format);
  const all = buildSources(snapshot, settings);
  let sources = all;
  if (wanted.length) {
    const byName = new Map(all.map((s) => [s.name, s]));
    const unknown = wanted.filter((name) => !byName.has(name));
    if (unknown.length) {
      throw new RippleError(ErrorCode.NotFound, `unknown source ${unknown.map((n) => `'${n}'`).join(', ')} in ${repos.join(' + ')} (${all.length} sources for ${settings.arch})`, { field: 'source', unknown });
    }
    sources = wanted.map((name) => byName.get(name)!);
  }

  const resolver = await SnapshotResolver.open(snapshot, settings, { threads });
  let outcomes: SourceOutcome[];
  const started = performance.now();
  try {
    const bar = createProgressBar('resolving', sources.length);
    outcomes = await resolver.resolve(sources, (done) => bar.set(done));
    bar.done();
  } finally {
    await resolver.close();
  }
  const ms = performance.now() - started;

  if (values.json) {
    console.log(JSON.stringify({
      format, settings, repositories: repos,
      base: resolver.base.resolved ? { resolved: true, buildroot: resolver.base.buildroot.map(memberJson) } : resolver.base,
      sources: outcomes.map(outcomeJson),
    }, null, 1));
  } else if (wanted.length) {
    for (const o of outcomes) {
      const title = `${o.source.name} ${evrOf(o.source)}`;
      console.log(o.resolved ? `${title}: ${o.buildroot.length} packages\n${buildrootTable(o)}\n` : `${title}: unresolvable\n${problemText(o)}\n`);
    }
  } else {
    console.log(summary(outcomes, ms));
  }
  return outcomes.every((o) => o.resolved) ? 0 : 3;
}
