/**
 * The stored form of a parsed repository layer (repository_blobs.packages): JSON, gzip-compressed.
 * Plain JSON keeps the blob readable with psql + gunzip and survives reader changes that only add
 * optional fields; `LAYER_ENCODING` names the format so a later change can be told apart.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { ErrorCode, RippleError } from '../errors.ts';
import type { SnapshotLayer } from './read-repository.ts';

export const LAYER_ENCODING = 'json+gzip';

/** Compressed off the main thread, at level 1: a whole distribution takes seconds at the default level for a blob only slightly smaller. */
export function encodeLayer(layer: SnapshotLayer): Promise<Buffer> {
  return promisify(gzip)(JSON.stringify(layer), { level: 1 });
}

export async function decodeLayer(bytes: Uint8Array, encoding: string, key: string): Promise<SnapshotLayer> {
  if (encoding !== LAYER_ENCODING) {
    throw new RippleError(ErrorCode.RepositoryUnreadable, `stored repository ${key} uses encoding '${encoding}', this version reads '${LAYER_ENCODING}'`, { key });
  }
  const layer = JSON.parse((await promisify(gunzip)(bytes)).toString('utf8')) as SnapshotLayer;
  if (layer.key !== key) throw new RippleError(ErrorCode.RepositoryUnreadable, `stored repository ${key} holds layer ${layer.key}`, { key });
  return layer;
}
