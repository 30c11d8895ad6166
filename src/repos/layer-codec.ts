/**
 * The stored form of a parsed repository layer (repository_blobs.packages): JSON, gzip-compressed.
 * Plain JSON keeps the blob readable with psql + gunzip and survives reader changes that only add
 * optional fields; `LAYER_ENCODING` names the format so a later change can be told apart.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, RippleError } from '../errors.ts';
import type { SnapshotLayer } from './read-repository.ts';

export const LAYER_ENCODING = 'json+gzip';

export function encodeLayer(layer: SnapshotLayer): Buffer {
  return gzipSync(JSON.stringify(layer), { level: 6 });
}

export function decodeLayer(bytes: Uint8Array, encoding: string, key: string): SnapshotLayer {
  if (encoding !== LAYER_ENCODING) {
    throw new RippleError(ErrorCode.RepositoryUnreadable, `stored repository ${key} uses encoding '${encoding}', this version reads '${LAYER_ENCODING}'`, { key });
  }
  const layer = JSON.parse(gunzipSync(bytes).toString('utf8')) as SnapshotLayer;
  if (layer.key !== key) throw new RippleError(ErrorCode.RepositoryUnreadable, `stored repository ${key} holds layer ${layer.key}`, { key });
  return layer;
}
