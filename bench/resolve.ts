/**
 * Cold resolution of bookworm's sources, side by side: Ripple (libsolv in WebAssembly, worker per
 * core, full buildroots with distances), dose-builddebcheck (verdicts only) and native libsolv via
 * python3-solv (bench/native-libsolv.py, one solve per source). Each runs as its own process under
 * /usr/bin/time -v, so peak RSS includes Ripple's worker threads. Results: docs/benchmarks.md.
 *
 * Then the incremental case (issue 2's second goal): bookworm -> bookworm + updates + security with
 * the collection defaults, as an ingest runs it: plan (src/resolution/incremental.ts), open the new
 * snapshot's solver pool, solve the planned sources. Its wall time counts from the previous results
 * in memory to the new ones. Every source's result (carried or solved) is then compared with a full
 * re-resolution of the new snapshot: any difference is printed and fails the run.
 *
 * Usage: node --import tsx bench/resolve.ts [--every N] [--skip-dose] [--skip-native] [--skip-incremental] [--dump FILE]
 *   --every N    only every Nth source by name (default 1: all), the same sample for every tool
 *   --dump FILE  also write Ripple's outcome per source (buildroot with distances, or problems) to
 *                FILE, one line each, so two resolver builds can be compared byte for byte
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { formatTable } from '../src/cli/table.ts';

const run = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const bookworm = join(root, '../shared/data/debian/bookworm');
const overlay = ['bookworm', 'bookworm-updates', 'bookworm-security'].map((d) => join(root, '../shared/data/debian', d));
const { values } = parseArgs({ options: { every: { type: 'string' }, 'skip-dose': { type: 'boolean' }, 'skip-native': { type: 'boolean' }, 'ours-only': { type: 'string' }, dump: { type: 'string' }, 'skip-incremental': { type: 'boolean' }, 'incremental-only': { type: 'string' } } });
const every = Number(values.every ?? 1);

interface Measured { wallS: number; rssMb: number; stdout: string }

/** Runs a command under GNU time; wall clock and peak RSS come from its -v report. */
async function timed(command: string, args: string[]): Promise<Measured> {
  const { stdout, stderr } = await run('/usr/bin/time', ['-v', command, ...args], { cwd: root, maxBuffer: 256 << 20 })
    .catch((error: { code?: unknown; stdout: string; stderr: string }) => {
      if (error.code === 1 && command === 'dose-builddebcheck') return error; // 1: some source broken
      throw error;
    });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  if (!wall || !rss) throw new Error(`no /usr/bin/time report from ${command}: ${stderr.slice(-500)}`);
  return { wallS: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]), rssMb: Number(rss[1]) / 1024, stdout };
}

/** Child mode: Ripple alone, phases timed, one JSON line on stdout. */
async function oursOnly(every: number, dump: string | undefined) {
  const { readSnapshot } = await import('../src/repos/read-repository.ts');
  const { SnapshotResolver, buildSources, defaultSettings, nevra } = await import('../src/resolution/snapshot-resolver.ts');
  const settings = defaultSettings('deb', { firstAlternativeOnly: false });
  let t = performance.now();
  const snapshot = await readSnapshot([bookworm], 'deb');
  const sources = buildSources(snapshot, settings).sort((a, b) => (a.name < b.name ? -1 : 1)).filter((_, i) => i % every === 0);
  const readMs = performance.now() - t;
  t = performance.now();
  const resolver = await SnapshotResolver.open(snapshot, settings);
  const openMs = performance.now() - t;
  t = performance.now();
  // CPU time of every thread of the process: on a shared machine it varies far less than wall time.
  const cpu = process.cpuUsage();
  const outcomes = await resolver.resolve(sources);
  const resolveMs = performance.now() - t;
  const { user, system } = process.cpuUsage(cpu);
  await resolver.close();
  if (dump) {
    await writeFile(dump, outcomes.map((o) => JSON.stringify(o.resolved
      ? [o.source.name, o.buildroot.map((m) => [nevra(m.binary), m.distance, m.base])]
      : [o.source.name, o.problems])).join('\n') + '\n');
  }
  const sizes = outcomes.flatMap((o) => (o.resolved ? [o.buildroot.length] : []));
  console.log(JSON.stringify({
    sources: sources.length, resolved: sizes.length, readMs, openMs, resolveMs, resolveCpuMs: (user + system) / 1000,
    meanBuildroot: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length), names: sources.map((s) => s.name),
  }));
}

interface IncrementalMeasure { wallMs: number; planMs: number; openMs: number; solveMs: number; solved: number; sources: number; mismatches: string[]; fullReason: string | null }

/** Child mode: the incremental regeneration, timed, then checked against a full re-resolution. */
async function incrementalOnly(every: number) {
  const { readLayers, stackLayers } = await import('../src/repos/read-repository.ts');
  const { SnapshotResolver, buildSources, defaultSettings, nevra } = await import('../src/resolution/snapshot-resolver.ts');
  const { planIncremental } = await import('../src/resolution/incremental.ts');
  const settings = defaultSettings('deb');
  // One read: the bookworm layer's binaries are the same objects in both snapshots, as in an ingest (layer-store.ts).
  const layers = await readLayers(overlay, 'deb');
  const [previous, current] = [stackLayers(layers.slice(0, 1)), stackLayers(layers)];
  const sample = <T extends { name: string }>(list: T[]) => list.sort((a, b) => (a.name < b.name ? -1 : 1)).filter((_, i) => i % every === 0);
  const solveAll = async (snapshot: typeof current) => {
    const resolver = await SnapshotResolver.open(snapshot, settings);
    try {
      return { outcomes: await resolver.resolve(sample(buildSources(snapshot, settings))), base: resolver.base };
    } finally {
      await resolver.close();
    }
  };
  const before = await solveAll(previous);
  if (!before.base.resolved) throw new Error('the bookworm base buildroot does not resolve');
  const previousResults = new Map(before.outcomes.map((o) => [o.source.name, { source: o.source, resolved: o.resolved, members: o.resolved ? o.buildroot : [] }]));

  const started = performance.now();
  const sources = sample(buildSources(current, settings));
  const resolver = await SnapshotResolver.open(current, settings);
  const openMs = performance.now() - started;
  if (!resolver.base.resolved) throw new Error('the overlay base buildroot does not resolve');
  let t = performance.now();
  const plan = await planIncremental({
    distType: 'deb', settings, sources, previousResults,
    previous: { binaries: previous.binaries, base: before.base.buildroot.map((m) => m.binary) },
    current: { binaries: current.binaries, base: resolver.base.buildroot.map((m) => m.binary) },
  });
  const planMs = performance.now() - t;
  t = performance.now();
  const solved = await resolver.resolve(plan.solve);
  const solveMs = performance.now() - t;
  const wallMs = performance.now() - started;
  await resolver.close();

  // The incremental result of every source against a full re-resolution of the new snapshot.
  const key = (members: { binary: Parameters<typeof nevra>[0]; distance: number | null; base: boolean }[]) =>
    members.map((m) => `${nevra(m.binary)}/${m.base ? 'base' : m.distance}`).sort().join(' ');
  const incremental = new Map<string, string>(solved.map((o) => [o.source.name, o.resolved ? key(o.buildroot) : 'unresolved']));
  for (const name of plan.carried) {
    const last = previousResults.get(name)!;
    incremental.set(name, key(last.members.map((m) => ({ ...m, binary: plan.counterpart(m.binary)! }))));
  }
  const full = await solveAll(current);
  const mismatches = full.outcomes.flatMap((o) => {
    const expected = o.resolved ? key(o.buildroot) : 'unresolved';
    const got = incremental.get(o.source.name);
    return got === expected ? [] : [`${o.source.name}: incremental ${got === undefined ? 'missing' : got.slice(0, 200)} / full ${expected.slice(0, 200)}`];
  });
  const measure: IncrementalMeasure = { wallMs, planMs, openMs, solveMs, solved: plan.solve.length, sources: sources.length, mismatches, fullReason: plan.fullReason };
  console.log(JSON.stringify(measure));
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-bench-'));
  try {
    const ours = await timed(process.execPath, ['--import', 'tsx', join(here, 'resolve.ts'), '--ours-only', String(every), ...(values.dump ? ['--dump', values.dump] : [])]);
    const o = JSON.parse(ours.stdout) as { sources: number; resolved: number; readMs: number; openMs: number; resolveMs: number; resolveCpuMs: number; meanBuildroot: number; names: string[] };
    const names = new Set(o.names);
    const rows: { tool: string; wallS?: number; msPerSource?: number; rssMb?: number; note: string }[] = [{
      tool: 'ripple (wasm, workers)', wallS: ours.wallS, msPerSource: o.resolveMs / o.sources, rssMb: ours.rssMb,
      note: `read ${(o.readMs / 1000).toFixed(1)} s, pool ${(o.openMs / 1000).toFixed(1)} s, resolve ${(o.resolveMs / 1000).toFixed(1)} s (CPU ${(o.resolveCpuMs / o.sources).toFixed(2)} ms/source); ${o.resolved}/${o.sources} resolved, mean buildroot ${o.meanBuildroot.toFixed(0)}`,
    }];

    if (!values['skip-dose']) {
      await run('sh', ['-c', 'xz -dc "$1" > "$2"', 'sh', join(bookworm, 'Packages.xz'), join(dir, 'Packages')]);
      // The same sample: Sources stanzas of the sampled names (Extra-Source-Only dropped, as ours).
      const stanzas = (await run('sh', ['-c', 'xz -dc "$1"', 'sh', join(bookworm, 'Sources.xz')], { maxBuffer: 1 << 30 })).stdout.split(/\n\s*\n/)
        .filter((s) => names.has(/^Package:\s*(\S+)/m.exec(s)?.[1] ?? '') && !/^Extra-Source-Only:\s*yes/im.test(s));
      await writeFile(join(dir, 'Sources'), stanzas.join('\n\n') + '\n');
      const dose = await timed('dose-builddebcheck', ['--deb-native-arch=amd64', '--failures', `--outfile=${join(dir, 'dose.yaml')}`, join(dir, 'Packages'), join(dir, 'Sources')]);
      const broken = ((await readFile(join(dir, 'dose.yaml'), 'utf8')).match(/status: broken/g) ?? []).length;
      rows.push({ tool: 'dose-builddebcheck', wallS: dose.wallS, msPerSource: (dose.wallS * 1000) / stanzas.length, rssMb: dose.rssMb, note: `verdicts only, one core (includes parsing); ${broken} broken of ${stanzas.length}` });
    }

    if (!values['skip-native']) {
      const { snapshot, sources } = await (await import('../test/conformance/debian-compare.ts')).bookwormSources();
      await writeFile(join(dir, 'sources.json'), JSON.stringify({ essential: snapshot.essential, sources: sources.filter((s) => names.has(s.name)) }));
      const native = await timed('/usr/bin/python3', [join(here, 'native-libsolv.py'), join(bookworm, 'Packages.xz'), join(dir, 'sources.json')]);
      const n = JSON.parse(native.stdout) as { sources: number; resolved: number; loadMs: number; solveMs: number; msPerSource: number };
      rows.push({ tool: 'native libsolv (python3-solv)', wallS: native.wallS, msPerSource: n.msPerSource, rssMb: native.rssMb, note: `one core; load ${(n.loadMs / 1000).toFixed(1)} s, solve ${(n.solveMs / 1000).toFixed(1)} s; ${n.resolved}/${n.sources} resolved` });
    }

    const base = rows[0]!;
    let incremental: IncrementalMeasure | undefined;
    if (!values['skip-incremental']) {
      const measured = await timed(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', join(here, 'resolve.ts'), '--incremental-only', String(every)]);
      incremental = JSON.parse(measured.stdout.trim().split('\n').at(-1)!) as IncrementalMeasure;
    }
    const ratio = (r: (typeof rows)[number], key: 'wallS' | 'msPerSource' | 'rssMb') =>
      r[key] === undefined || base[key] === undefined ? null : `${(base[key]! / r[key]!).toFixed(2)}x`;
    console.log(`bookworm, ${o.sources} sources${every > 1 ? ` (every ${every}th)` : ''}; ratios are ripple / tool (below 1: ripple is faster or smaller)\n`);
    console.log(formatTable(['wall ratio', 'ms/source ratio', 'RSS ratio', 'tool', 'wall s', 'ms/source', 'peak RSS MB', 'note'],
      rows.map((r) => [ratio(r, 'wallS'), ratio(r, 'msPerSource'), ratio(r, 'rssMb'), r.tool, r.wallS?.toFixed(1), r.msPerSource?.toFixed(2), r.rssMb?.toFixed(0), r.note])));
    if (incremental) {
      const i = incremental;
      console.log(`\nincremental: bookworm -> bookworm + updates + security (collection defaults)\n`);
      console.log(formatTable(['ratio to goal', 'measure', 'value', 'goal', 'met'], [
        [`${(i.wallMs / 5000).toFixed(2)}x`, `regeneration: open the new pool, plan, solve ${i.solved} of ${i.sources} sources`, `${(i.wallMs / 1000).toFixed(1)} s`, '5 s', i.wallMs <= 5000 ? 'yes' : 'NO'],
        ['', 'phases', `open the pool ${(i.openMs / 1000).toFixed(1)} s, plan ${(i.planMs / 1000).toFixed(1)} s, solve ${(i.solveMs / 1000).toFixed(1)} s`, '', ''],
        ['', 'results different from a full re-resolution', String(i.mismatches.length), '0', i.mismatches.length === 0 ? 'yes' : 'NO'],
      ]));
      for (const m of i.mismatches.slice(0, 20)) console.log(`  ${m}`);
      if (i.fullReason) console.log(`  (not incremental: ${i.fullReason})`);
      if (i.mismatches.length) process.exitCode = 1;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (values['ours-only'] !== undefined) await oursOnly(Number(values['ours-only']), values.dump);
else if (values['incremental-only'] !== undefined) await incrementalOnly(Number(values['incremental-only']));
else await main();
