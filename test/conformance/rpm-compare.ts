/**
 * Ripple's resolver against native libsolv (test/oracles/solv-oracle.py) on rpm-md repositories:
 * same verdict per package, and the same buildroot as a set of NEVRA strings. Shared by
 * rpm-solv.test.ts and scripts/conformance-report.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dependency, SourcePackage } from '../../resolver/src/types.ts';
import { readSnapshot } from '../../src/repos/read-repository.ts';
import { SnapshotResolver, buildSources, defaultSettings, nevra, type SourceOutcome } from '../../src/resolution/snapshot-resolver.ts';
import { runSolvOracle, type OracleResult } from '../oracles/solv-oracle.ts';

export interface Disagreement {
  /** `name-evr.arch` of the checked package. */
  package: string;
  ours: { resolved: boolean; problems: string[] };
  oracle: { resolved: boolean; problems: string[] };
  onlyOurs: string[];
  onlyOracle: string[];
}

export interface Comparison {
  label: string;
  compared: number;
  /** Verdicts that disagree, or agreeing "resolved" verdicts with different sets. */
  disagreements: Disagreement[];
  /** Packages the oracle checked that we did not (or the reverse), by `name-evr.arch`. */
  unmatched: string[];
}

const evrText = (p: { epoch: number; version: string; release: string }) =>
  `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;

function compare(label: string, ours: Map<string, SourceOutcome>, oracle: OracleResult[]): Comparison {
  const disagreements: Disagreement[] = [];
  const unmatched: string[] = [];
  const seen = new Set<string>();
  for (const o of oracle) {
    const key = `${o.name}-${o.evr}.${o.arch}`;
    const mine = ours.get(key);
    if (!mine) {
      unmatched.push(`${key} (oracle only)`);
      continue;
    }
    seen.add(key);
    const set = mine.resolved ? mine.buildroot.map((m) => nevra(m.binary)) : [];
    const onlyOurs = set.filter((n) => !o.buildroot.includes(n)).sort();
    const onlyOracle = o.buildroot.filter((n) => !set.includes(n)).sort();
    if (mine.resolved !== o.resolved || onlyOurs.length || onlyOracle.length) {
      disagreements.push({
        package: key,
        ours: { resolved: mine.resolved, problems: mine.resolved ? [] : mine.problems.flatMap((p) => p.sentences) },
        oracle: { resolved: o.resolved, problems: o.problems },
        onlyOurs,
        onlyOracle,
      });
    }
  }
  for (const key of ours.keys()) if (!seen.has(key)) unmatched.push(`${key} (ours only)`);
  return { label, compared: seen.size, disagreements, unmatched };
}

/**
 * A view of `repo` whose repomd.xml lists only files that exist (symlinked, not copied). Some sample
 * repositories list filelists they do not ship; solv-oracle.py then crashes in add_rpmmd (SIGSEGV).
 */
export async function withoutMissingFiles(repo: string): Promise<string> {
  const repomd = await readFile(join(repo, 'repodata', 'repomd.xml'), 'utf8');
  const blocks = [...repomd.matchAll(/<data type="[^"]*">[\s\S]*?<\/data>\s*/g)];
  const missing = blocks.filter((b) => !existsSync(join(repo, /<location href="([^"]+)"/.exec(b[0])?.[1] ?? '')));
  if (missing.length === 0) return repo;
  const view = await mkdtemp(join(tmpdir(), 'ripple-rpm-view-'));
  await mkdir(join(view, 'repodata'));
  for (const file of await readdir(join(repo, 'repodata'))) {
    if (file !== 'repomd.xml') await symlink(resolve(repo, 'repodata', file), join(view, 'repodata', file));
  }
  await writeFile(join(view, 'repodata', 'repomd.xml'), missing.reduce((text, b) => text.replace(b[0], ''), repomd));
  return view;
}

/** Human-readable: verdicts, set differences, both problem texts side by side. */
export function describe(d: Disagreement): string {
  const verdict = (v: { resolved: boolean }) => (v.resolved ? 'resolved' : 'unresolvable');
  const lines = [`${d.package}: ours ${verdict(d.ours)}, libsolv ${verdict(d.oracle)}`];
  if (d.onlyOurs.length) lines.push(`  only ours:    ${d.onlyOurs.join(' ')}`);
  if (d.onlyOracle.length) lines.push(`  only libsolv: ${d.onlyOracle.join(' ')}`);
  const rows = Math.max(d.ours.problems.length, d.oracle.problems.length);
  if (rows) {
    const width = Math.max(4, ...d.ours.problems.map((p) => p.length));
    lines.push(`  ${'ours'.padEnd(width)} | libsolv`);
    for (let i = 0; i < rows; i++) lines.push(`  ${(d.ours.problems[i] ?? '').padEnd(width)} | ${d.oracle.problems[i] ?? ''}`);
  }
  return lines.join('\n');
}

/** Sources mode: every src package's buildroot (BuildRequires + base), overlay stack merged as dnf sees it. */
export async function compareSources(label: string, repos: string[], base: { group: string } | string[]): Promise<Comparison> {
  const settings = defaultSettings('rpm', { base: Array.isArray(base) ? { packages: base } : base });
  const snapshot = await readSnapshot(repos, 'rpm');
  const sources = buildSources(snapshot, settings);
  const resolver = await SnapshotResolver.open(snapshot, settings);
  const [outcomes, oracle] = await Promise.all([
    resolver.resolve(sources).finally(() => resolver.close()),
    runSolvOracle({ repos, mode: 'sources', base, overlay: 'merge' }),
  ]);
  const ours = new Map(outcomes.map((o) => [`${o.source.name}-${evrText(o.source)}.src`, o]));
  // The oracle checks every visible src package; ours, as a rebuild would, the newest per name.
  const newest = new Set(ours.keys());
  return compare(label, ours, oracle.filter((o) => newest.has(`${o.name}-${o.evr}.src`) || !sources.some((s) => s.name === o.name)));
}

/**
 * rpm's automatic ISA provide (`name(x86-64) = evr`, `name(x86-32) = evr`) names one build of one
 * arch; noarch packages have none, and `name = evr` is then exact as long as no other arch shares the evr.
 */
function exactly(p: { name: string; epoch: number; version: string; release: string; provides: Dependency[] }): Dependency {
  const evr = evrText(p);
  const isa = p.provides.find((d) => !('op' in d) && d.relation === '=' && d.evr === evr && d.name.startsWith(`${p.name}(`) && d.name.endsWith(')'));
  return isa ?? { name: p.name, relation: '=', evr };
}

/**
 * Binaries mode: install each binary package alone, nothing else requested (like dose-distcheck).
 * Each package becomes a pseudo-source whose one build requirement names exactly that package.
 */
export async function compareBinaries(label: string, repo: string, arch = 'x86_64'): Promise<Comparison> {
  const settings = defaultSettings('rpm', { arch, base: { packages: [] } });
  const snapshot = await readSnapshot([repo], 'rpm');
  const binaries = snapshot.binaries.filter((b) => b.arch !== 'src' && b.arch !== 'nosrc');
  const jobs: SourcePackage[] = binaries.map((b) => ({ name: nevra(b), epoch: 0, version: '', release: '', buildRequires: [exactly(b)], buildConflicts: [] }));
  const resolver = await SnapshotResolver.open(snapshot, settings);
  const [outcomes, oracle] = await Promise.all([
    resolver.resolve(jobs).finally(() => resolver.close()),
    runSolvOracle({ repos: [repo], mode: 'binaries', arch }),
  ]);
  const ours = new Map<string, SourceOutcome>();
  const wrongPackage: string[] = [];
  outcomes.forEach((o, i) => {
    const key = nevra(binaries[i]!);
    // The emulated job must have installed exactly the package asked for, else the comparison is void.
    if (o.resolved && !o.buildroot.some((m) => m.binary === binaries[i])) wrongPackage.push(key);
    ours.set(key, o);
  });
  const result = compare(label, ours, oracle);
  result.unmatched.push(...wrongPackage.map((k) => `${k} (our exact-install emulation picked another build)`));
  return result;
}
