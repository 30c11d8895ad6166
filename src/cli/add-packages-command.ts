/**
 * `ripple add-packages <collection> <name...> | --file PATH | --all-sources`: starts tracking
 * sources by name. `--all-sources` reads the collection's repositories and adds every source that
 * builds for its architecture.
 */
import { readFileSync } from 'node:fs';
import { addPackages, getCollection } from '../collections/service.ts';
import type { Collection } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput } from '../errors.ts';
import { packageNamePattern } from '../http/validation.ts';
import { readSnapshot } from '../repos/read-repository.ts';
import { distTypeOf, resolutionSettings, sourceLocations, type CollectionRow } from '../resolution/collection-settings.ts';
import { buildSources } from '../resolution/snapshot-resolver.ts';
import { runCommand, UsageError, withDatabase } from './command-line.ts';

const help = `usage: ripple add-packages <collection> <name...>
       ripple add-packages <collection> --file PATH
       ripple add-packages <collection> --all-sources

Starts tracking source packages; names already in the collection are left alone.

  --file PATH      names from a file, one per line; blank lines and # comments are ignored
  --all-sources    every source of the collection's repositories that builds for its architecture`;

/**
 * Package names from a file of one name per line (`#` starts a comment). Errors name file and line.
 */
export function readNameFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RippleError(ErrorCode.InvalidInput, `${path}: cannot read: ${(error as Error).message}`, { file: path }, { cause: error });
  }
  const names: string[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const name = line.replace(/#.*/, '').trim();
    if (name === '') continue;
    if (!packageNamePattern.test(name) || name.length > 200) {
      throw new RippleError(ErrorCode.InvalidInput, `${path}:${index + 1}: '${name.slice(0, 80)}' is not a package name`, { file: path, line: index + 1, field: 'name' });
    }
    names.push(name);
  }
  if (names.length === 0) throw invalidInput('file', `${path}: no package names in the file`);
  return names;
}

/** Names of every source in the collection's repositories that builds for its architecture. */
export async function sourcesOfCollection(collection: Collection): Promise<string[]> {
  const row = collection as unknown as CollectionRow;
  const locations = sourceLocations(row);
  process.stderr.write(`reading ${locations.join(' + ')} ...\n`);
  const started = Date.now();
  const snapshot = await readSnapshot(locations, distTypeOf(collection.format), { filelists: false });
  const names = [...new Set(buildSources(snapshot, resolutionSettings(row)).map((s) => s.name))].sort();
  process.stderr.write(`read ${snapshot.sources.length} sources in ${((Date.now() - started) / 1000).toFixed(1)} s; ${names.length} build for ${resolutionSettings(row).arch}\n`);
  return names;
}

export const run = (args: string[]) => runCommand({
  name: 'add-packages', help, positionals: { min: 1, max: Infinity },
  options: { file: { type: 'string' }, 'all-sources': { type: 'boolean' } },
}, args, async (a) => {
  const [collectionName, ...names] = a.positionals as [string, ...string[]];
  const ways = [names.length > 0, a.string('file') !== undefined, a.flag('all-sources')].filter(Boolean).length;
  if (ways !== 1) throw new UsageError('give package names, --file PATH or --all-sources (exactly one of them)');
  const result = await withDatabase(async ({ db }) => {
    const collection = await getCollection(db, collectionName);
    const wanted = a.flag('all-sources') ? await sourcesOfCollection(collection)
      : a.string('file') !== undefined ? readNameFile(a.string('file')!) : names;
    return addPackages(db, collection.name, wanted);
  });
  console.log(`added ${result.added.length} package${result.added.length === 1 ? '' : 's'} to ${collectionName}${result.existing.length ? ` (${result.existing.length} already there)` : ''}`);
  if (result.added.length > 0 && result.added.length <= 20) console.log(`  ${result.added.join(' ')}`);
});
