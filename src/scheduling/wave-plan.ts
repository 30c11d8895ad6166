/**
 * Ordering a set of packages into rebuild batches (MBS build-order batches, conda-forge migration
 * waves): the build-dependency graph restricted to the set is condensed into its strongly
 * connected components (Tarjan, iterative: the archive's chains are deeper than the call stack),
 * and each component goes into the batch one after the deepest batch among its dependencies. A
 * component of several packages is a dependency cycle: its members share a batch and are built as
 * one unit. Pure and synchronous, so the benchmark can time it on the whole archive.
 */
import type { WaveEstimate } from '../db/schema.ts';

export interface WaveOrder {
  /** Package names per batch, sorted by name. */
  batches: string[][];
  batchOf: Map<string, number>;
  /** Components with more than one member, each sorted by name. */
  cycles: string[][];
  cycleOf: Map<string, number>;
  /** Build-dependency edges inside the set: [dependency, dependent]. */
  edges: [string, string][];
}

/**
 * Everything a change of `root` (a source name, or a binary name mapped to its source) makes
 * stale: the root itself when tracked, and every package transitively build-depending on it.
 */
export function affectedSet(dependents: Map<string, Set<string>>, root: string, tracked: (name: string) => boolean): Set<string> {
  const set = new Set<string>();
  if (tracked(root)) set.add(root);
  const queue = [root];
  const seen = new Set(queue);
  while (queue.length) {
    for (const next of dependents.get(queue.pop()!) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      set.add(next);
      queue.push(next);
    }
  }
  return set;
}

export function orderIntoBatches(members: Iterable<string>, dependents: Map<string, Set<string>>): WaveOrder {
  const names = [...new Set(members)].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const successors: number[][] = names.map(() => []);
  const edges: [string, string][] = [];
  for (const [i, name] of names.entries()) {
    for (const dependent of dependents.get(name) ?? []) {
      const j = index.get(dependent);
      if (j === undefined || j === i) continue;
      successors[i]!.push(j);
      edges.push([name, dependent]);
    }
  }
  const component = stronglyConnected(successors);
  const componentCount = component.reduce((max, c) => Math.max(max, c + 1), 0);
  // Tarjan numbers components in reverse topological order (a dependent's component is found,
  // and numbered, before its dependency's), so descending numbers are a topological order.
  const members2: number[][] = Array.from({ length: componentCount }, () => []);
  for (const [i, c] of component.entries()) members2[c]!.push(i);
  const level = new Array<number>(componentCount).fill(0);
  for (let c = componentCount - 1; c >= 0; c--) {
    for (const i of members2[c]!) {
      for (const j of successors[i]!) {
        const d = component[j]!;
        if (d !== c && level[d]! < level[c]! + 1) level[d] = level[c]! + 1;
      }
    }
  }
  const batches: string[][] = [];
  const batchOf = new Map<string, number>();
  const cycles: string[][] = [];
  const cycleOf = new Map<string, number>();
  for (let c = componentCount - 1; c >= 0; c--) {
    const group = members2[c]!.map((i) => names[i]!).sort();
    if (group.length > 1) {
      for (const name of group) cycleOf.set(name, cycles.length);
      cycles.push(group);
    }
  }
  for (const [i, name] of names.entries()) {
    const b = level[component[i]!]!;
    while (batches.length <= b) batches.push([]);
    batches[b]!.push(name);
    batchOf.set(name, b);
  }
  return { batches, batchOf, cycles, cycleOf, edges };
}

/** Tarjan's algorithm without recursion: the component number of each node. */
function stronglyConnected(successors: number[][]): number[] {
  const n = successors.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const component = new Array<number>(n).fill(-1);
  const stack: number[] = [];
  const frames: { node: number; next: number }[] = [];
  let counter = 0;
  let components = 0;
  for (let start = 0; start < n; start++) {
    if (order[start] !== -1) continue;
    frames.push({ node: start, next: 0 });
    order[start] = low[start] = counter++;
    stack.push(start);
    onStack[start] = 1;
    while (frames.length) {
      const frame = frames.at(-1)!;
      const { node } = frame;
      if (frame.next < successors[node]!.length) {
        const to = successors[node]![frame.next++]!;
        if (order[to] === -1) {
          order[to] = low[to] = counter++;
          stack.push(to);
          onStack[to] = 1;
          frames.push({ node: to, next: 0 });
        } else if (onStack[to]) {
          low[node] = Math.min(low[node]!, order[to]!);
        }
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames.at(-1)!.node;
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] === order[node]) {
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          component[member] = components;
        } while (member !== node);
        components++;
      }
    }
  }
  return component;
}

export interface DurationHistory {
  /** Mean duration (seconds) of the package's recent finished builds, when it has any. */
  perPackage: Map<string, number>;
  /** The collection's median build duration, when it has any finished build. */
  collectionMedian: number | null;
}

/** Expected duration of a package without any build history anywhere in its collection. */
export const defaultBuildSeconds = 1800;

export interface NodeEstimate {
  seconds: number;
  source: 'history' | 'collection' | 'default';
}

export function estimateNode(name: string, history: DurationHistory): NodeEstimate {
  const own = history.perPackage.get(name);
  if (own !== undefined) return { seconds: Math.round(own), source: 'history' };
  if (history.collectionMedian !== null) return { seconds: Math.round(history.collectionMedian), source: 'collection' };
  return { seconds: defaultBuildSeconds, source: 'default' };
}

/**
 * The cost of a wave: the number of builds, their summed duration, and the expected wall-clock
 * time when each batch takes as long as its longest build or its total spread over the global
 * cap, whichever is longer (batches run one after another).
 */
export function estimateOrder(order: WaveOrder, history: DurationHistory, cap: number): { nodes: Map<string, NodeEstimate>; estimate: WaveEstimate } {
  const nodes = new Map<string, NodeEstimate>();
  let buildSeconds = 0;
  let expectedSeconds = 0;
  const batchSeconds: number[] = [];
  for (const batch of order.batches) {
    let longest = 0;
    let total = 0;
    for (const name of batch) {
      const estimate = estimateNode(name, history);
      nodes.set(name, estimate);
      longest = Math.max(longest, estimate.seconds);
      total += estimate.seconds;
    }
    const seconds = Math.round(Math.max(longest, total / Math.max(cap, 1)));
    batchSeconds.push(seconds);
    buildSeconds += total;
    expectedSeconds += seconds;
  }
  const fromHistory = [...nodes.values()].filter((n) => n.source === 'history').length;
  const estimate: WaveEstimate = {
    builds: nodes.size, buildSeconds, expectedSeconds, fromHistory, fallback: nodes.size - fromHistory,
    fallbackSeconds: history.collectionMedian === null ? defaultBuildSeconds : Math.round(history.collectionMedian),
    batchSeconds,
  };
  return { nodes, estimate };
}
