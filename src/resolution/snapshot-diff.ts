/**
 * Snapshot history of a collection and the difference between any two of its snapshots: the
 * sources whose buildability differs, each with the binary changes that explain it (root-cause.ts),
 * and the binary changes between the two snapshots as a whole. Consecutive snapshots get their
 * root causes at ingest time; this answers the question for any pair, from stored data only (the
 * repositories may be long gone upstream).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { StoredProblem } from '../db/schema.ts';
import { invalidInput, notFound } from '../errors.ts';
import { decodeBuildroot } from './buildroot-codec.ts';
import { loadSnapshot } from './layer-store.ts';
import { binaryChanges, explainTransition, type RootCause } from './root-cause.ts';
import { resolutionSettings, type CollectionRow } from './collection-settings.ts';
import { buildSources, nevra } from './snapshot-resolver.ts';

export interface SnapshotSummary {
  sequence: number;
  state: string;
  createdAt: Date;
  activatedAt: Date | null;
  error: string | null;
  baseResolved: boolean | null;
  binaries: number | null;
  sources: number | null;
  resolved: number | null;
  unresolved: number | null;
  solved: number | null;
  changed: number | null;
  durationMs: number | null;
}

async function collectionRow(db: Db, name: string) {
  const row = await db.selectFrom('collections').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('collection', name);
  return row;
}

export async function listSnapshots(db: Db, collection: string, limit = 50): Promise<SnapshotSummary[]> {
  const { id } = await collectionRow(db, collection);
  const rows = await db.selectFrom('snapshots').selectAll().where('collection_id', '=', id).orderBy('sequence', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    sequence: r.sequence, state: r.state, createdAt: r.created_at, activatedAt: r.activated_at, error: r.error, baseResolved: r.base_resolved,
    binaries: r.binary_count, sources: r.source_count, resolved: r.resolved_count, unresolved: r.unresolved_count,
    solved: r.solved_count, changed: r.changed_count, durationMs: r.duration_ms,
  }));
}

export interface BuildabilityDifference {
  package: string;
  before: { resolved: boolean; problems: StoredProblem[] } | null;
  after: { resolved: boolean; problems: StoredProblem[] } | null;
  rootCause: RootCause | null;
}

export interface SnapshotDiff {
  from: number;
  to: number;
  binaries: { added: number; removed: number; replaced: number; examples: { name: string; arch: string; previous: string | null; current: string | null }[] };
  packages: BuildabilityDifference[];
}

/** Each package's resolution as of a snapshot: the newest stored one at or before it. */
async function resolutionsAt(db: Db, collectionId: number, sequence: number) {
  const { rows } = await sql<{ name: string; resolved: boolean; problems: StoredProblem[]; buildroot: Buffer | null }>`
    select distinct on (p.id) p.name, r.resolved, r.problems, r.buildroot
    from packages p
    join resolutions r on r.package_id = p.id
    join snapshots s on s.id = r.snapshot_id
    where p.collection_id = ${collectionId} and s.sequence <= ${sequence}
    order by p.id, s.sequence desc`.execute(db);
  return new Map(rows.map((r) => [r.name, r]));
}

export async function diffSnapshots(db: Db, collection: string, from: number, to: number): Promise<SnapshotDiff> {
  if (from === to) throw invalidInput('to', 'the two snapshots must differ');
  const row = await collectionRow(db, collection);
  const snapshots = await db.selectFrom('snapshots').select(['sequence', 'blob_sha256s', 'state'])
    .where('collection_id', '=', row.id).where('sequence', 'in', [from, to]).execute();
  for (const sequence of [from, to]) {
    const found = snapshots.find((s) => s.sequence === sequence);
    if (!found || (found.state !== 'active' && found.state !== 'superseded')) throw notFound('snapshot', `${collection}/${sequence}`);
  }
  const blobs = (sequence: number) => snapshots.find((s) => s.sequence === sequence)!.blob_sha256s;
  const [before, after] = await Promise.all([loadSnapshot(db, blobs(from)), loadSnapshot(db, blobs(to))]);
  const changes = binaryChanges(before.binaries, after.binaries);
  const [resolutionsBefore, resolutionsAfter] = await Promise.all([resolutionsAt(db, row.id, from), resolutionsAt(db, row.id, to)]);

  const settings = resolutionSettings(row as unknown as CollectionRow);
  const sourcesBefore = new Map(buildSources(before, settings).map((s) => [s.name, s]));
  const sourcesAfter = new Map(buildSources(after, settings).map((s) => [s.name, s]));
  const binaryNames = async (encoded: Buffer | null) => {
    if (!encoded) return [];
    const ids = decodeBuildroot(encoded).map((m) => m.binaryId);
    const rows = ids.length ? await db.selectFrom('binary_packages').selectAll().where('id', '=', sql<number>`any(${ids}::bigint[])`).execute() : [];
    const byNevra = new Map([...before.binaries, ...after.binaries].map((b) => [nevra(b), b]));
    return rows.map((r) => byNevra.get(nevra(r))).filter((b) => b !== undefined);
  };

  const packages: BuildabilityDifference[] = [];
  for (const name of [...new Set([...resolutionsBefore.keys(), ...resolutionsAfter.keys()])].sort()) {
    const old = resolutionsBefore.get(name);
    const now = resolutionsAfter.get(name);
    if (old?.resolved === now?.resolved) continue;
    const side = async (r: typeof old, source: ReturnType<typeof sourcesBefore.get>) => r
      ? (r.resolved ? { source: source ?? null, buildroot: await binaryNames(r.buildroot) } : { source: source ?? null, problems: r.problems })
      : { source: source ?? null, problems: [] };
    const rootCause = old && now
      ? explainTransition(name, await side(old, sourcesBefore.get(name)), await side(now, sourcesAfter.get(name)), changes)
      : null;
    packages.push({
      package: name,
      before: old ? { resolved: old.resolved, problems: old.problems } : null,
      after: now ? { resolved: now.resolved, problems: now.problems } : null,
      rootCause,
    });
  }
  const evr = (b: { epoch: number; version: string; release: string }) => `${b.epoch ? `${b.epoch}:` : ''}${b.version}${b.release ? `-${b.release}` : ''}`;
  return {
    from,
    to,
    binaries: {
      added: changes.filter((c) => !c.old).length,
      removed: changes.filter((c) => !c.now).length,
      replaced: changes.filter((c) => c.old && c.now).length,
      examples: changes.slice(0, 200).map((c) => ({
        name: (c.now ?? c.old)!.name, arch: (c.now ?? c.old)!.arch, previous: c.old ? evr(c.old) : null, current: c.now ? evr(c.now) : null,
      })),
    },
    packages,
  };
}
