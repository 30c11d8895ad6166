/**
 * Incremental resolution must equal a full re-resolution. Randomised: small Debian-like
 * distributions with versioned dependencies, alternatives, virtual packages, exact pins between
 * sibling binaries and versioned Breaks, changed by random version bumps (with and without
 * dependency changes), removals, additions and provides changes, and base buildroot members
 * bumped (a version-only change is carried over by substitution), with their Breaks moved, or
 * starting to provide a virtual package.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SolverPool } from '../../resolver/src/index.ts';
import type { BinaryPackage, Dependency, SourcePackage } from '../../resolver/src/types.ts';
import { planIncremental, type IncrementalPlan, type PreviousResult } from '../../src/resolution/incremental.ts';
import { defaultSettings, nevra, type BuildrootPackage } from '../../src/resolution/snapshot-resolver.ts';
import { seededRandom } from '../helpers/random.ts';


interface World { binaries: BinaryPackage[]; sources: SourcePackage[] }

const settings = defaultSettings('deb', { firstAlternativeOnly: false, base: { packages: ['base0'], essential: true } });

function pkg(name: string, version: string, requires: Dependency[] = [], extra: Partial<BinaryPackage> = {}): BinaryPackage {
  return {
    name, epoch: 0, version, release: '', arch: 'amd64', provides: [], requires, conflicts: [], obsoletes: [], recommends: [],
    suggests: [], supplements: [], enhances: [], files: [], essential: false, sourceName: name, sourceEvr: version, ...extra,
  };
}

function generate(seed: number): World {
  const rnd = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rnd() * list.length)]!;
  // Two Essential base members; base1 breaks old versions of an ordinary library, as libc6 does.
  const binaries: BinaryPackage[] = [pkg('base0', '1', [{ name: 'lib0' }], { essential: true }), pkg('lib0', '1'),
    pkg('base1', '1', [{ name: 'lib0' }], { essential: true, conflicts: [{ name: `lib${10 + Math.floor(rnd() * 100)}`, relation: '<', evr: '2' }] })];
  for (let i = 1; i < 120; i++) {
    const lower = binaries.filter((b) => b.name.startsWith('lib'));
    const requires: Dependency[] = [];
    for (let r = Math.floor(rnd() * 3); r > 0; r--) {
      const target = pick(lower);
      const roll = rnd();
      if (roll < 0.3) requires.push({ name: target.name, relation: '>=', evr: target.version });
      else if (roll < 0.45) requires.push({ op: 'or', args: [{ name: `virt${Math.floor(rnd() * 6)}` }, { name: pick(lower).name }] });
      else requires.push({ name: target.name });
    }
    const lib = pkg(`lib${i}`, `${1 + Math.floor(rnd() * 3)}`, requires, {
      provides: rnd() < 0.2 ? [{ name: `virt${Math.floor(rnd() * 6)}` }] : [],
      conflicts: rnd() < 0.08 ? [{ name: pick(lower).name, relation: '<', evr: '2' }] : [],
    });
    binaries.push(lib);
    // A -dev sibling pinned to its library's exact version, as Debian does.
    if (rnd() < 0.4) binaries.push(pkg(`lib${i}-dev`, lib.version, [{ name: lib.name, relation: '=', evr: lib.version }]));
  }
  const names = binaries.map((b) => b.name);
  const sources: SourcePackage[] = [];
  for (let s = 0; s < 60; s++) {
    const buildRequires: Dependency[] = [];
    for (let d = 1 + Math.floor(rnd() * 4); d > 0; d--) {
      const name = pick(names);
      buildRequires.push(rnd() < 0.2 ? { name, relation: '>=', evr: '2' } : rnd() < 0.15 ? { op: 'or', args: [{ name: `virt${Math.floor(rnd() * 6)}` }, { name }] } : { name });
    }
    sources.push({ name: `src${s}`, epoch: 0, version: '1', release: '', buildRequires, buildConflicts: rnd() < 0.05 ? [{ name: pick(names) }] : [] });
  }
  return { binaries, sources };
}

/** A random regeneration: mostly transparent version bumps, plus real changes. */
function mutate(world: World, seed: number): World {
  const rnd = seededRandom(seed * 7919);
  const bump = (v: string) => String(Number(v) + 1);
  const bumped = new Set<string>();
  let binaries = world.binaries.map((b) => ({ ...b }));
  for (const b of binaries) {
    if (!b.name.endsWith('-dev') && rnd() < 0.15) {
      bumped.add(b.name);
      b.version = bump(b.version);
    }
  }
  for (const b of binaries) {
    const library = b.name.replace(/-dev$/, '');
    if (b.name.endsWith('-dev') && bumped.has(library)) {
      b.version = binaries.find((x) => x.name === library)!.version;
      b.requires = [{ name: library, relation: '=', evr: b.version }];
    }
  }
  // The base changes too: version-only bumps (substitution), and base1's Breaks moving.
  for (const b of binaries) {
    if (b.name === 'base0' && rnd() < 0.3) b.version = bump(b.version);
    if (b.name === 'base1') {
      const r = rnd();
      if (r < 0.3) b.version = bump(b.version);
      else if (r < 0.45) b.conflicts = [{ name: `lib${10 + Math.floor(rnd() * 100)}`, relation: '<', evr: String(2 + Math.floor(rnd() * 2)) }];
      else if (r < 0.6) b.provides = [{ name: `virt${Math.floor(rnd() * 6)}` }];
    }
  }
  const roll = () => rnd();
  for (const b of binaries) {
    const r = roll();
    if (r < 0.02) b.requires = [...b.requires, { name: `lib${Math.floor(rnd() * 120)}` }];
    else if (r < 0.03) b.provides = [];
    else if (r < 0.035) b.conflicts = [{ name: `lib${Math.floor(rnd() * 120)}`, relation: '<', evr: '3' }];
  }
  binaries = binaries.filter((b) => b.name.startsWith('base') || b.name === 'lib0' || rnd() > 0.02);
  if (rnd() < 0.7) binaries.push(pkg(`newlib${seed}`, '1', [], { provides: [{ name: `virt${seed % 6}` }] }));
  const sources = world.sources.map((s) => (rnd() < 0.05 ? { ...s, buildRequires: [...s.buildRequires, { name: 'lib1' }] } : s));
  return { binaries, sources };
}

interface Solved { base: BinaryPackage[] | null; results: Map<string, { resolved: boolean; members: BuildrootPackage[] }> }

async function solve(world: World, only?: SourcePackage[]): Promise<Solved> {
  const pool = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  try {
    pool.addRepository('world', world.binaries);
    const base = pool.setBase({ install: [{ name: 'base0' }], includeEssential: true });
    const results = new Map<string, { resolved: boolean; members: BuildrootPackage[] }>();
    if (!base.resolved) return { base: null, results };
    for (const source of only ?? world.sources) {
      const r = pool.resolve(source);
      results.set(source.name, r.resolved
        ? { resolved: true, members: r.members.map((m) => ({ binary: world.binaries[m.package.index]!, distance: m.distance, base: m.base })) }
        : { resolved: false, members: [] });
    }
    return { base: base.members.map((m) => world.binaries[m.package.index]!), results };
  } finally {
    pool.free();
  }
}

/** A carried source's buildroot: its previous one with every member replaced by its counterpart. */
function carriedBuildroot(plan: IncrementalPlan, previousResults: Map<string, PreviousResult>, name: string): BuildrootPackage[] {
  assert.ok(plan.carried.has(name), `${name} is carried`);
  return previousResults.get(name)!.members.map((m) => ({ ...m, binary: plan.counterpart(m.binary)! }));
}

const fingerprint = (r: { resolved: boolean; members: BuildrootPackage[] } | undefined) =>
  r ? `${r.resolved}:${r.members.map((m) => `${nevra(m.binary)}@${m.base ? 'base' : m.distance}`).sort().join(',')}` : 'missing';

test('incremental resolution equals full re-resolution on randomised regenerations', async () => {
  let carriedTotal = 0;
  let sourcesTotal = 0;
  let baseSubstituted = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const before = generate(seed);
    const after = mutate(before, seed);
    const previous = await solve(before);
    const full = await solve(after);
    const previousResults = new Map<string, PreviousResult>();
    for (const source of before.sources) {
      const r = previous.results.get(source.name);
      if (r) previousResults.set(source.name, { source, ...r });
    }
    const plan = await planIncremental({
      distType: 'deb', settings,
      previous: { binaries: before.binaries, base: previous.base },
      current: { binaries: after.binaries, base: full.base },
      sources: after.sources, previousResults,
    });
    const solved = await solve(after, plan.solve);
    for (const source of after.sources) {
      const incremental = plan.carried.has(source.name)
        ? { resolved: true, members: carriedBuildroot(plan, previousResults, source.name) }
        : solved.results.get(source.name);
      assert.is(fingerprint(incremental), fingerprint(full.results.get(source.name)), `seed ${seed}, ${source.name} (${plan.carried.has(source.name) ? 'carried' : 'solved'})`);
    }
    const baseOf = (list: BinaryPackage[] | null) => (list ?? []).map(nevra).sort().join();
    if (baseOf(previous.base) !== baseOf(full.base) && plan.carried.size > 0) baseSubstituted++;
    carriedTotal += plan.carried.size;
    sourcesTotal += after.sources.length;
  }
  // Not a proof of speed, but incremental must actually skip work on mostly-transparent changes.
  assert.ok(carriedTotal > sourcesTotal * 0.1, `carried ${carriedTotal} of ${sourcesTotal}`);
  // ... including when base members moved to new versions (their buildroots update by substitution).
  assert.ok(baseSubstituted >= 10, `base changed with results carried over in ${baseSubstituted} of 40 regenerations`);
});

test('a transparent bump of a library and its pinned -dev carries every result over', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [], { essential: true }), pkg('libc', '1'), pkg('libc-dev', '1', [{ name: 'libc', relation: '=', evr: '1' }]),
      pkg('tool', '1', [{ name: 'libc', relation: '>=', evr: '1' }])],
    sources: [{ name: 's', epoch: 0, version: '1', release: '', buildRequires: [{ name: 'libc-dev' }, { name: 'tool' }], buildConflicts: [] }],
  };
  const after: World = { ...before, binaries: before.binaries.map((b) => b.name.startsWith('libc')
    ? { ...b, version: '2', requires: b.name === 'libc-dev' ? [{ name: 'libc', relation: '=', evr: '2' }] : b.requires } : b) };
  const previous = await solve(before);
  const current = await solve(after, []);
  const previousResults = new Map([['s', { source: before.sources[0]!, ...previous.results.get('s')! }]]);
  const plan = await planIncremental({
    distType: 'deb', settings, previous: { binaries: before.binaries, base: previous.base }, current: { binaries: after.binaries, base: current.base },
    sources: after.sources, previousResults,
  });
  assert.equal(plan.solve, []);
  assert.equal(carriedBuildroot(plan, previousResults, 's').map((m) => nevra(m.binary)).sort(), ['base0-1.amd64', 'libc-2.amd64', 'libc-dev-2.amd64', 'tool-1.amd64']);
});

test('a versioned Breaks that starts to match makes its dependents re-solve', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [], { essential: true }), pkg('libc', '1'), pkg('old', '1', [{ name: 'libc' }], { conflicts: [{ name: 'libc', relation: '>=', evr: '2' }] })],
    sources: [{ name: 's', epoch: 0, version: '1', release: '', buildRequires: [{ name: 'old' }], buildConflicts: [] }],
  };
  const after: World = { ...before, binaries: before.binaries.map((b) => (b.name === 'libc' ? { ...b, version: '2' } : b)) };
  const previous = await solve(before);
  const current = await solve(after, []);
  const plan = await planIncremental({
    distType: 'deb', settings, previous: { binaries: before.binaries, base: previous.base }, current: { binaries: after.binaries, base: current.base },
    sources: after.sources, previousResults: new Map([['s', { source: before.sources[0]!, ...previous.results.get('s')! }]]),
  });
  assert.equal(plan.solve.map((s) => s.name), ['s']);
});

/** Plans a regeneration of hand-made worlds, with the previous results solved for real. */
async function planFor(before: World, after: World) {
  const previous = await solve(before);
  const current = await solve(after, []);
  const previousResults = new Map(before.sources.map((s) => [s.name, { source: s, ...previous.results.get(s.name)! }]));
  const plan = await planIncremental({
    distType: 'deb', settings, previous: { binaries: before.binaries, base: previous.base }, current: { binaries: after.binaries, base: current.base },
    sources: after.sources, previousResults,
  });
  return { plan, carried: (name: string) => carriedBuildroot(plan, previousResults, name) };
}

const source = (name: string, ...needs: string[]): SourcePackage =>
  ({ name, epoch: 0, version: '1', release: '', buildRequires: needs.map((n) => ({ name: n })), buildConflicts: [] });

test('a version-only change of base members updates every buildroot by substitution, nothing re-solved', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [{ name: 'libc' }], { essential: true }), pkg('libc', '1'), pkg('tool', '1', [{ name: 'libc', relation: '>=', evr: '1' }])],
    sources: [source('s', 'tool'), source('t')],
  };
  const after: World = { ...before, binaries: before.binaries.map((b) => (b.name === 'tool' ? b : { ...b, version: '2' })) };
  const { plan, carried } = await planFor(before, after);
  assert.is(plan.fullReason, null);
  assert.equal(plan.solve, []);
  assert.equal(carried('s').map((m) => `${nevra(m.binary)}@${m.base ? 'base' : m.distance}`).sort(), ['base0-2.amd64@base', 'libc-2.amd64@base', 'tool-1.amd64@1']);
  assert.equal(carried('t').map((m) => nevra(m.binary)).sort(), ['base0-2.amd64', 'libc-2.amd64']);
});

test('a base member whose Breaks moves onto a library re-solves exactly the sources that can reach it', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [], { essential: true, conflicts: [{ name: 'liba', relation: '<', evr: '1' }] }), pkg('liba', '1'), pkg('libb', '1'),
      pkg('tool', '1', [{ name: 'liba' }])],
    sources: [source('uses-a', 'tool'), source('uses-b', 'libb')],
  };
  const after: World = { ...before, binaries: before.binaries.map((b) => (b.name === 'base0' ? { ...b, version: '2', conflicts: [{ name: 'liba', relation: '<', evr: '2' }] } : b)) };
  const { plan } = await planFor(before, after);
  assert.equal(plan.solve.map((s) => s.name), ['uses-a']);
  assert.equal([...plan.carried.keys()], ['uses-b']);
  assert.is((await solve(after)).results.get('uses-a')!.resolved, false);
});

test('a new provider of an alternative the base already satisfies re-solves nothing (clang providing c-compiler)', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [{ name: 'gcc' }], { essential: true }), pkg('gcc', '1', [], { provides: [{ name: 'c-compiler' }] }),
      pkg('libtool', '1', [{ op: 'or', args: [{ name: 'gcc' }, { name: 'c-compiler' }] }]), pkg('cc-user', '1', [{ name: 'c-compiler' }])],
    sources: [source('uses-libtool', 'libtool'), source('uses-cc-user', 'cc-user'), source('needs-c-compiler', 'c-compiler')],
  };
  const after: World = { ...before, binaries: [...before.binaries, pkg('clang', '1', [], { provides: [{ name: 'c-compiler' }] })] };
  const { plan } = await planFor(before, after);
  assert.equal(plan.solve, []);
  assert.equal([...plan.carried], ['uses-libtool', 'uses-cc-user', 'needs-c-compiler']);
});


test('a changed package whose requirement on an unchanged library matches the same packages is carried; matching others re-solves', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [], { essential: true }), pkg('libc', '2'), pkg('libx', '1', [{ name: 'libc', relation: '>=', evr: '1' }])],
    sources: [source('s', 'libx'), source('t')],
  };
  const raised = (evr: string): World => ({ ...before, binaries: before.binaries.map((b) => (b.name === 'libx' ? { ...b, version: '1+u1', requires: [{ name: 'libc', relation: '>=', evr }] } : b)) });
  // libc (>= 2) still matches libc 2: the same requirement for the solver.
  const same = await planFor(before, raised('2'));
  assert.equal(same.plan.solve, []);
  assert.equal(same.carried('s').map((m) => nevra(m.binary)).sort(), ['base0-1.amd64', 'libc-2.amd64', 'libx-1+u1.amd64']);
  // libc (>= 3) matches nothing: libx is no longer installable and s must be solved again.
  const other = await planFor(before, raised('3'));
  assert.equal(other.plan.solve.map((s) => s.name), ['s']);
  assert.equal([...other.plan.carried], ['t']);
  assert.is((await solve(raised('3'))).results.get('s')!.resolved, false);
});

test('a member the previous snapshot lacks (binaryOf undefined) makes its source solved again, with or without changes', async () => {
  const before: World = {
    binaries: [pkg('base0', '1', [], { essential: true }), pkg('tool', '1'), pkg('other', '1')],
    sources: [source('s', 'tool'), source('t', 'other')],
  };
  const previous = await solve(before);
  for (const after of [before, { ...before, binaries: [...before.binaries, pkg('new', '1')] }]) {
    const current = await solve(after, []);
    const plan = await planIncremental({
      distType: 'deb', settings, previous: { binaries: before.binaries, base: previous.base }, current: { binaries: after.binaries, base: current.base },
      sources: after.sources, previousResults: new Map(before.sources.map((s) => [s.name, { source: s, ...previous.results.get(s.name)! }])),
      // As an ingest whose stored snapshot no longer has tool-1.
      binaryOf: (m: BuildrootPackage) => (m.binary.name === 'tool' ? undefined : m.binary),
    });
    assert.equal(plan.solve.map((s) => s.name), ['s']);
    assert.equal([...plan.carried], ['t']);
  }
});

test.run();
