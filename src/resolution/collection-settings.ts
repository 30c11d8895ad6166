/**
 * Reads a collection row's JSON columns (sources, base_buildroot, resolver_options) into the typed
 * values the readers and the resolver take. Validation of what users write happens in
 * src/collections; this only maps, and fails loudly on rows that bypassed it.
 */
import type { DistType } from '../../resolver/src/types.ts';
import type { CollectionFormat } from '../db/schema.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { defaultSettings, type BaseBuildroot, type ResolutionSettings } from './snapshot-resolver.ts';

export interface CollectionRow {
  name: string;
  format: CollectionFormat;
  sources: unknown[];
  architectures: string[];
  base_buildroot: Record<string, unknown>;
  resolver_options: Record<string, unknown>;
}

export const distTypeOf = (format: CollectionFormat): DistType => (format === 'debian' ? 'deb' : 'rpm');

/** Repository locations of the overlay stack, base first. Entries are `{ url }` objects or strings. */
export function sourceLocations(row: CollectionRow): string[] {
  return row.sources.map((entry, index) => {
    const url = typeof entry === 'string' ? entry : (entry as { url?: unknown } | null)?.url;
    if (typeof url !== 'string' || url === '') {
      throw new RippleError(ErrorCode.InvalidInput, `collection ${row.name}: sources[${index}] has no url`, { field: `sources[${index}].url` });
    }
    return url.startsWith('file://') ? new URL(url).pathname : url;
  });
}

export function resolutionSettings(row: CollectionRow): ResolutionSettings {
  const format = distTypeOf(row.format);
  const options = row.resolver_options;
  const base = row.base_buildroot;
  const overrides: Partial<ResolutionSettings> = {};
  if (row.architectures[0]) overrides.arch = row.architectures[0];
  if (typeof base.group === 'string') overrides.base = { group: base.group };
  else if (Array.isArray(base.packages)) overrides.base = { packages: base.packages as string[], essential: base.essential === true } satisfies BaseBuildroot;
  if (typeof options.weakDependencies === 'boolean') overrides.weakDependencies = options.weakDependencies;
  if (typeof options.firstAlternativeOnly === 'boolean') overrides.firstAlternativeOnly = options.firstAlternativeOnly;
  if (Array.isArray(options.profiles)) overrides.profiles = options.profiles as string[];
  if (typeof options.includeIndep === 'boolean') overrides.includeIndep = options.includeIndep;
  return defaultSettings(format, overrides);
}
