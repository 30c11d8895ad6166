/**
 * `ripple serve [--roles api,watcher,scheduler,builder]`: runs the service on the configured database until SIGINT
 * or SIGTERM. Roles let several processes share one PostgreSQL: API-only front ends, watchers.
 */
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { startEventService } from '../events/event-service.ts';
import { createApp } from '../http/app.ts';
import { startServer } from '../http/server.ts';
import { log } from '../log.ts';
import { kojiWorkerFromConfig } from '../builds/koji-backend.ts';
import { workerFromConfig } from '../builds/local-worker.ts';
import { Watcher } from '../repos/watcher.ts';
import { Scheduler, schedulerSettings } from '../scheduling/scheduler.ts';
import { runCommand, untilSignal, UsageError, withDatabase } from './command-line.ts';

export const roles = ['api', 'watcher', 'scheduler', 'builder'] as const;
export type Role = (typeof roles)[number];
/** Builders usually run on build hosts of their own, so `serve` starts them only when asked. */
export const defaultRoles: readonly Role[] = ['api', 'watcher', 'scheduler'];

const help = `usage: ripple serve [--roles api,watcher,scheduler,builder]

Runs the service roles, which meet only in the database: the HTTP API (api), the repository
watcher and resolver (watcher), the build scheduler (scheduler) and a build worker (builder;
RIPPLE_BUILDER_BACKEND local, simulation, or koji: scratch builds on the RIPPLE_KOJI_HUB_URL hub).
Default: api,watcher,scheduler. Configuration comes from the environment (see the README's
configuration reference). Stops cleanly on SIGINT or SIGTERM.`;

export interface RunningService {
  /** The API's URL, when the api role runs. */
  url?: string;
  stop(): Promise<void>;
}

/** Starts the given roles on an open database; `stop` ends them (the caller closes the database). */
export async function startService(database: Database, config: Config, wanted: readonly Role[] = defaultRoles): Promise<RunningService> {
  // The API role also serves the websocket feed, webhooks and AMQP publication from the event log.
  const events = wanted.includes('api') ? await startEventService(database, config) : undefined;
  const server = wanted.includes('api') ? await startServer({ app: createApp({ db: database.db, config }), config, onServer: (s) => events!.attach(s) })
    .catch(async (error: NodeJS.ErrnoException) => {
      await events?.stop();
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES') throw error;
      throw new RippleError(ErrorCode.InvalidInput, `cannot listen on ${config.httpHost}:${config.httpPort} (${error.code}); choose another port with RIPPLE_HTTP_PORT`, { field: 'RIPPLE_HTTP_PORT' }, { cause: error });
    }) : undefined;
  let watcher: Watcher | undefined;
  if (wanted.includes('watcher')) {
    try {
      // Regeneration requests (API, CLI, added packages) NOTIFY the watchers, which wake at once.
      watcher = new Watcher(database, { pollCron: config.pollCron, threads: config.resolverThreads, eventRetentionDays: config.eventRetentionDays });
      await watcher.start();
    } catch (error) {
      await watcher?.stop();
      await events?.stop();
      await server?.close();
      throw error;
    }
  }
  const scheduler = wanted.includes('scheduler') ? new Scheduler(database.db, schedulerSettings(config), config.schedulerIntervalSeconds) : undefined;
  scheduler?.start();
  let builder: { start(): Promise<void>; stop(): Promise<void> } | undefined;
  if (wanted.includes('builder')) {
    builder = config.builderBackend === 'koji' ? kojiWorkerFromConfig(database.db, config) : workerFromConfig(database.db, config);
    await builder.start();
  }
  log.info('service started', { roles: wanted, url: server?.url });
  return {
    url: server?.url,
    async stop() {
      // Websockets first, so server.close() is not held open by them.
      await events?.stop();
      await server?.close();
      await scheduler?.stop();
      await builder?.stop();
      await watcher?.stop();
    },
  };
}

/**
 * Waits for SIGINT or SIGTERM, then stops the service, which waits for a running ingest. A second
 * signal exits at once: the ingest's claim expires and the next watcher redoes it (nothing of it
 * was committed).
 */
export async function serveUntilSignal(service: RunningService): Promise<void> {
  const signal = await untilSignal();
  log.info('stopping; a running ingest is finished first (signal again to abandon it)', { signal });
  void untilSignal().then(() => {
    log.warn('stopping at once; a running ingest is abandoned');
    process.exit(130);
  });
  await service.stop();
}

export function parseRoles(text: string | undefined): Role[] {
  if (text === undefined) return [...defaultRoles];
  const wanted = text.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = wanted.find((r) => !(roles as readonly string[]).includes(r));
  if (unknown !== undefined || wanted.length === 0) throw new UsageError(`--roles must be a comma-separated subset of ${roles.join(', ')}, got '${text}'`);
  return wanted as Role[];
}

export const run = (args: string[]) => runCommand({ name: 'serve', help, options: { roles: { type: 'string' } } }, args, async (a) => {
  const wanted = parseRoles(a.string('roles'));
  await withDatabase(async (database, config) => {
    const service = await startService(database, config, wanted);
    console.log(`ripple serving ${wanted.join(' and ')}${service.url ? ` at ${service.url}` : ''} (${database.kind}); Ctrl-C stops it`);
    await serveUntilSignal(service);
  });
});
