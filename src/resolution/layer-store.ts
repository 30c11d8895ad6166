/**
 * Repository layers as the service stores and reuses them: content-addressed rows in
 * repository_blobs, and the parsed layers of recent snapshots kept in memory.
 *
 * A regeneration usually changes one small overlay (bookworm-security) over an unchanged large
 * base (bookworm: parsing its indices takes tens of seconds). So a Debian layer whose fingerprint
 * names a stored blob is not read again; and the layers last used stay parsed in memory, which
 * also makes the unchanged binaries of two snapshots the same objects (incremental resolution
 * then knows them unchanged without comparing their contents).
 */
import type { Db } from '../db/database.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { decodeLayer, encodeLayer, LAYER_ENCODING } from '../repos/layer-codec.ts';
import { debianLayerKey, readLayers, stackLayers, type Fingerprint, type Snapshot, type SnapshotLayer } from '../repos/read-repository.ts';

/**
 * Parsed layers most recently used, newest last. A handful: a bookworm layer takes several hundred
 * MB of heap, and one collection's previous and current snapshots share most of theirs.
 */
const CACHED_LAYERS = 6;
const cache = new Map<string, SnapshotLayer>();

function remember(layer: SnapshotLayer): SnapshotLayer {
  cache.delete(layer.key);
  cache.set(layer.key, layer);
  while (cache.size > CACHED_LAYERS) cache.delete(cache.keys().next().value!);
  return layer;
}

/** Stored layers by key, from memory when they are there; throws when one is not stored. */
export async function loadLayers(db: Db, keys: string[]): Promise<SnapshotLayer[]> {
  const missing = keys.filter((k) => !cache.has(k));
  if (missing.length) {
    const rows = await db.selectFrom('repository_blobs').select(['sha256', 'encoding', 'packages']).where('sha256', 'in', missing).execute();
    for (const row of rows) remember(await decodeLayer(row.packages, row.encoding, row.sha256));
  }
  return keys.map((k) => {
    const layer = cache.get(k);
    if (!layer) throw new RippleError(ErrorCode.RepositoryUnreadable, `stored repository ${k} is missing`, { key: k });
    return remember(layer);
  });
}

export async function loadSnapshot(db: Db, blobKeys: string[]): Promise<Snapshot> {
  return stackLayers(await loadLayers(db, blobKeys));
}

/**
 * The layers of the repositories at `locations` now: Debian layers whose fingerprint names a
 * stored blob come from the store (or memory), everything else is read from the repository.
 */
export async function currentLayers(db: Db, locations: string[], format: 'deb' | 'rpm', fingerprint: Fingerprint): Promise<SnapshotLayer[]> {
  if (format !== 'deb') return readLayers(locations, format).then((layers) => layers.map(remember));
  const keys = fingerprint.layers.map(debianLayerKey);
  const stored = new Set(keys.filter((k) => cache.has(k)));
  const unknown = keys.filter((k) => !stored.has(k));
  if (unknown.length) {
    for (const row of await db.selectFrom('repository_blobs').select('sha256').where('sha256', 'in', unknown).execute()) stored.add(row.sha256);
  }
  const read = locations.filter((_, i) => !stored.has(keys[i]!));
  const layersRead = read.length ? await readLayers(read, format) : [];
  const fresh = new Map(read.map((location, j) => [location, remember(layersRead[j]!)]));
  const reused = new Map((await loadLayers(db, keys.filter((k) => stored.has(k)))).map((l) => [l.key, l]));
  return locations.map((location, i) => fresh.get(location) ?? reused.get(keys[i]!)!);
}

/** Stores layers not stored yet; content-addressed and immutable, so a later failure leaves nothing visible half-done. */
export async function storeLayers(db: Db, layers: SnapshotLayer[], format: 'rpm-md' | 'debian'): Promise<void> {
  const existing = new Set((await db.selectFrom('repository_blobs').select('sha256').where('sha256', 'in', layers.map((l) => l.key)).execute()).map((r) => r.sha256));
  for (const layer of layers) {
    if (existing.has(layer.key)) continue;
    const packages = await encodeLayer(layer);
    await db.insertInto('repository_blobs')
      .values({ sha256: layer.key, format, encoding: LAYER_ENCODING, packages, raw_size: packages.length, package_count: layer.binaries.length + layer.sources.length })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }
}
