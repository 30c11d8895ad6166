/**
 * The build-dependency graph of a collection's packages (OBS blocking): package A build-depends on
 * package B when A's current buildroot contains a binary built from source B. Derived from the
 * stored resolutions (buildroot ids -> binary_packages -> the snapshot's binaries' sourceName), and
 * cached per snapshot: resolutions only change when a new snapshot is ingested.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { loadSnapshot } from '../resolution/layer-store.ts';
import { decodeBuildroot } from '../resolution/buildroot-codec.ts';
import { nevra } from '../resolution/snapshot-resolver.ts';

export interface BuildGraph {
  snapshotId: number;
  /** Source name -> names of the tracked packages whose buildroot contains one of its binaries. */
  dependents: Map<string, Set<string>>;
  /** Binary package name -> the source it is built from (in the snapshot). */
  sourceOfBinary: Map<string, string>;
}

/** Blockers per node are kept up to this many (OBS shows up to 10 blocking dependencies). */
export const maxBlockers = 10;

/**
 * By snapshot id, with the snapshot's creation time: one process may hold several databases (the
 * tests do), and an id names a snapshot in one of them only.
 */
const cache = new Map<number, { createdAt: string; graph: Promise<BuildGraph> }>();

/** The graph of a collection's packages as resolved in `snapshotId` (its current snapshot). */
export async function buildGraph(db: Db, collectionId: number, snapshotId: number): Promise<BuildGraph> {
  const { created_at: createdAt } = await db.selectFrom('snapshots').select(sql<string>`created_at::text`.as('created_at'))
    .where('id', '=', snapshotId).executeTakeFirstOrThrow();
  let entry = cache.get(snapshotId);
  if (entry?.createdAt !== createdAt) {
    entry = { createdAt, graph: loadGraph(db, collectionId, snapshotId) };
    const loading = entry;
    loading.graph.catch(() => cache.get(snapshotId) === loading && cache.delete(snapshotId));
    // Only the newest few snapshots are ever asked for.
    if (cache.size >= 16) cache.delete(cache.keys().next().value!);
    cache.set(snapshotId, entry);
  }
  return entry.graph;
}

async function loadGraph(db: Db, collectionId: number, snapshotId: number): Promise<BuildGraph> {
  const snapshot = await db.selectFrom('snapshots').select('blob_sha256s').where('id', '=', snapshotId).executeTakeFirstOrThrow();
  const { binaries } = await loadSnapshot(db, snapshot.blob_sha256s);
  const sourceOf = new Map(binaries.map((b) => [nevra(b), b.sourceName]));
  const sourceOfBinary = new Map(binaries.map((b) => [b.name, b.sourceName]));
  const rows = await db.selectFrom('packages as p').innerJoin('resolutions as r', 'r.id', 'p.last_resolution_id')
    .select(['p.name', 'r.buildroot'])
    .where('p.collection_id', '=', collectionId).where('p.tracked', '=', true).where('r.resolved', '=', true)
    .execute();
  const members = rows.map((r) => ({ name: r.name, ids: r.buildroot ? decodeBuildroot(r.buildroot).map((m) => m.binaryId) : [] }));
  const wanted = [...new Set(members.flatMap((m) => m.ids))];
  const sourceById = new Map<number, string>();
  for (let at = 0; at < wanted.length; at += 20000) {
    const binaries = await db.selectFrom('binary_packages').selectAll()
      .where('id', '=', sql<number>`any(${wanted.slice(at, at + 20000)}::bigint[])`).execute();
    for (const b of binaries) {
      const source = sourceOf.get(nevra(b));
      if (source !== undefined) sourceById.set(b.id, source);
    }
  }
  const dependents = new Map<string, Set<string>>();
  for (const { name, ids } of members) {
    for (const id of ids) {
      const source = sourceById.get(id);
      if (source === undefined || source === name) continue;
      let set = dependents.get(source);
      if (!set) dependents.set(source, (set = new Set()));
      set.add(name);
    }
  }
  return { snapshotId, dependents, sourceOfBinary };
}

/**
 * Blocking state: which packages may not build while the given ones are queued or running, each
 * with (up to `maxBlockers`) the builds blocking it. `add` extends it as a tick queues more.
 */
export class Blocking {
  readonly blockers = new Map<string, string[]>();
  readonly #graph: BuildGraph;

  constructor(graph: BuildGraph, active: Iterable<string>) {
    this.#graph = graph;
    for (const name of active) this.add(name);
  }

  /** Marks everything that transitively build-depends on `name` as blocked by it. */
  add(name: string): void {
    const seen = new Set([name]);
    const queue = [name];
    while (queue.length) {
      for (const dependent of this.#graph.dependents.get(queue.pop()!) ?? []) {
        if (seen.has(dependent)) continue;
        seen.add(dependent);
        queue.push(dependent);
        const list = this.blockers.get(dependent) ?? [];
        if (list.length < maxBlockers) list.push(name);
        this.blockers.set(dependent, list);
      }
    }
  }

  /**
   * Why `name` may not build, or null. With `breakCycles`, blockers that are in turn blocked by
   * `name` are ignored: members of a dependency cycle must not wait for each other forever.
   */
  reason(name: string, breakCycles = false): string | null {
    let list = this.blockers.get(name) ?? [];
    if (breakCycles) list = list.filter((other) => !this.blockers.get(other)?.includes(name));
    return list.length ? `blocked by build of ${list.join(', ')} (build-dependency)` : null;
  }
}
