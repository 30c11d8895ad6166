/**
 * `ripple regenerate <collection> [--now] [--force]`: asks the watchers to look at the
 * repositories now, or with `--now` ingests in this process and prints the outcome.
 */
import { requestRegeneration } from '../collections/service.ts';
import type { Db } from '../db/database.ts';
import { instanceName } from '../repos/watcher.ts';
import { ingestCollection, type IngestOutcome } from '../resolution/ingest.ts';
import { runCommand, UsageError, withDatabase } from './command-line.ts';
import { createProgressBar, type ProgressBar } from './progress-bar.ts';

const help = `usage: ripple regenerate <collection> [--now [--force]]

Without --now, asks the running watchers to poll the collection's repositories at once.
With --now, ingests here: reads the repositories, resolves what changed and stores the snapshot.

  --now      ingest in this process, with a progress bar, and print the outcome
  --force    with --now: ingest even when the repositories did not change`;

/** One line per outcome, for people. */
export function describeOutcome(collection: string, outcome: IngestOutcome): string {
  switch (outcome.status) {
    case 'ingested':
      return `${collection}: snapshot ${outcome.sequence} ingested in ${(outcome.durationMs / 1000).toFixed(1)} s: `
        + `${outcome.solved} solved, ${outcome.changed} changed, ${outcome.stateChanges} state change${outcome.stateChanges === 1 ? '' : 's'}`
        + `${outcome.baseResolved ? '' : '; the base buildroot is unresolvable'}`;
    case 'unchanged':
      return `${collection}: repositories unchanged since the current snapshot`;
    case 'busy':
      return `${collection}: another instance (${outcome.heldBy ?? 'unknown'}) is ingesting it right now`;
    case 'failed':
      return `${collection}: ingest failed, the previous snapshot stays current: ${outcome.error}`;
  }
}

/** Ingests `collection` now with a progress bar over the resolution; returns the outcome. */
export async function ingestWithProgress(db: Db, collection: string, options: { threads: number; force?: boolean }): Promise<IngestOutcome> {
  let bar: ProgressBar | undefined;
  try {
    return await ingestCollection(db, collection, {
      instance: instanceName(),
      threads: options.threads,
      force: options.force,
      onProgress: (done, total) => {
        bar ??= createProgressBar(`resolving ${collection}`, total);
        bar.set(done);
      },
    });
  } finally {
    bar?.done();
  }
}

export const run = (args: string[]) => runCommand({
  name: 'regenerate', help, positionals: { min: 1 },
  options: { now: { type: 'boolean' }, force: { type: 'boolean' } },
}, args, async (a) => {
  const name = a.positionals[0]!;
  if (a.flag('force') && !a.flag('now')) throw new UsageError('--force only applies with --now');
  return withDatabase(async ({ db }, config) => {
    if (!a.flag('now')) {
      await requestRegeneration(db, name);
      console.log(`${name}: regeneration requested; a running watcher ingests it at once`);
      return 0;
    }
    const outcome = await ingestWithProgress(db, name, { threads: config.resolverThreads, force: a.flag('force') });
    const line = describeOutcome(name, outcome);
    if (outcome.status === 'failed' || outcome.status === 'busy') {
      console.error(`ripple regenerate: ${line}`);
      return 1;
    }
    console.log(line);
    return 0;
  });
});
