/**
 * The watcher role: on a cron tick, finds the collections due for a look (never polled, poll
 * interval elapsed, or "regenerated now" requested) and ingests each one whose repositories
 * changed. A `NOTIFY ripple_regenerate` (sent with a regeneration request) wakes it at once.
 * Several watchers may run on one database: ingestCollection's claim makes them take turns.
 */
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import { sql } from 'kysely';
import type { Database, Db } from '../db/database.ts';
import { pruneEvents } from '../events/event-log.ts';
import { createLogger, type Logger } from '../log.ts';
import { ingestCollection, type IngestOutcome } from '../resolution/ingest.ts';

export const REGENERATE_CHANNEL = 'ripple_regenerate';

export const instanceName = () => `${hostname()}:${process.pid}`;

export interface WatcherOptions {
  pollCron: string;
  threads: number;
  /** Events older than this many days are pruned on each tick (see event-log.ts prune_events). */
  eventRetentionDays?: number;
  instance?: string;
  logger?: Logger;
  /** Called after each ingest attempt (tests and the CLI's `watch` view listen here). */
  onIngest?: (collection: string, outcome: IngestOutcome) => void;
}

/** Names of collections that should be looked at now, oldest look first. */
export async function dueCollections(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('collections').select('name')
    .where('paused', '=', false)
    .where((eb) => eb.or([
      eb('regenerate_requested_at', 'is not', null),
      eb('last_polled_at', 'is', null),
      eb('last_polled_at', '<', sql<Date>`now() - make_interval(secs => poll_interval_seconds)`),
    ]))
    .orderBy(sql`coalesce(regenerate_requested_at, last_polled_at) asc nulls first`)
    .execute();
  return rows.map((r) => r.name);
}

export class Watcher {
  private task: ScheduledTask | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly logger: Logger;
  private readonly instance: string;

  constructor(private readonly database: Database, private readonly options: WatcherOptions) {
    this.logger = (options.logger ?? createLogger()).scope({ role: 'watcher' });
    this.instance = options.instance ?? instanceName();
  }

  async start(): Promise<void> {
    this.task = cron.schedule(this.options.pollCron, () => {
      void this.tick();
      void this.pruneEvents();
    });
    this.unlisten = await this.database.listen(REGENERATE_CHANNEL, () => void this.tick());
    void this.tick();
  }

  /** One pass over the due collections; overlapping calls coalesce into one more pass. */
  tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        for (const name of await dueCollections(this.database.db).catch((error: unknown) => {
          this.logger.warn('listing due collections failed', { error });
          return [];
        })) {
          const outcome = await ingestCollection(this.database.db, name, { instance: this.instance, threads: this.options.threads, logger: this.logger })
            .catch((error: unknown): IngestOutcome => {
              this.logger.error('ingest crashed', { collection: name, error });
              return { status: 'failed', snapshotId: null, error: String(error) };
            });
          this.options.onIngest?.(name, outcome);
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Retention: a client resuming from a pruned id is told so (event_log_state keeps the mark). */
  private async pruneEvents(): Promise<void> {
    if (this.options.eventRetentionDays === undefined) return;
    const olderThan = new Date(Date.now() - this.options.eventRetentionDays * 86_400_000);
    await pruneEvents(this.database.db, olderThan).catch((error: unknown) => this.logger.warn('pruning events failed', { error }));
  }

  async stop(): Promise<void> {
    await this.task?.stop();
    await this.unlisten?.();
    await this.running;
  }
}
