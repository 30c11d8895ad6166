/**
 * Opens the one database the service uses: PostgreSQL when a URL is configured, otherwise the
 * embedded PGlite (on disk under `<dataDir>/pglite`, or in memory). Both return the same Kysely
 * type and read values the same way (see schema.ts), and both are migrated before use.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, PostgresDialect, type Compilable, type RawBuilder, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { log } from '../log.ts';
import { migrate } from './migrate.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import type { Schema } from './schema.ts';

/** The database or a transaction (a Transaction is a Kysely): what query functions take. */
export type Db = Kysely<Schema>;
export type Trx = Transaction<Schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** The PGlite instance, for PGlite-only operations such as `dumpDataDir()`. */
  pglite?: PGlite;
  /**
   * Subscribes to NOTIFY on `channel`. On PostgreSQL one dedicated connection (outside the pool)
   * carries every subscription. Returns the unsubscribe function.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; empty or absent selects PGlite. */
  url?: string;
  /** PGlite keeps its files in `<dataDir>/pglite`. */
  dataDir?: string;
  /** PGlite only: keep everything in memory (tests, demos). */
  inMemory?: boolean;
  /** PGlite only: start from a `dumpDataDir()` tarball instead of an empty cluster. */
  loadDataDir?: Blob;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** node-postgres pool size (default 10). */
  poolSize?: number;
}

// Type OIDs whose default parsing differs between node-postgres and PGlite.
const INT8 = 20;
const NUMERIC = 1700;
const BYTEA = 17;

/** bigint as a JS number while exact; beyond 2^53 the decimal text is returned unchanged. */
function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}
/** numeric as a float: Ripple stores no money, only averages and sums of counts. */
const parseNumeric = (text: string): number => Number(text);
/** PGlite's default is a plain Uint8Array; node-postgres gives Buffers. Buffers everywhere. */
const parseBytea = (text: string): Buffer => Buffer.from(text.slice(2), 'hex');

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8) return parseInt8;
      if (oid === NUMERIC) return parseNumeric;
      return pg.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export function openDatabase(options: OpenDatabaseOptions | Config): Promise<Database> {
  const o: OpenDatabaseOptions = 'databaseUrl' in options ? { url: options.databaseUrl, dataDir: options.dataDir } : options;
  return o.url ? openPostgres(o.url, o) : openPGlite(o);
}

/**
 * Statement text starting with this comment is prepared once per connection on PostgreSQL (a
 * named statement: later executions skip parsing and, once PostgreSQL settles on a generic plan,
 * planning). For hot statements whose text depends only on the shape of a request; PGlite simply
 * sees a comment.
 */
export const preparedMarker = '/* prepared */';
/** Runs a built query or an sql`` template as a marked (prepared) statement: for hot queries with a fixed text. */
export async function executePrepared<R>(db: Db, query: Compilable<R> | RawBuilder<R>): Promise<R[]> {
  const { sql, parameters } = 'isRawBuilder' in query ? query.compile(db) : query.compile();
  return (await db.executeQuery(CompiledQuery.raw(`${preparedMarker} ${sql}`, [...parameters]) as CompiledQuery<R>)).rows;
}

/** Bounds the named statements each connection keeps, whatever shapes requests come in. */
const maxPreparedTexts = 256;
const preparedNames = new Map<string, string>();
const preparingClients = new WeakSet<pg.PoolClient>();

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < maxPreparedTexts) {
    name = `ripple_${createHash('sha1').update(text).digest('hex')}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** Makes the client send marked statements as named ones (kysely passes plain text and values). */
function namePreparedStatements(client: pg.PoolClient): pg.PoolClient {
  if (preparingClients.has(client)) return client;
  preparingClients.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown[]) => {
    const name = typeof text === 'string' && text.startsWith(preparedMarker) ? preparedName(text) : undefined;
    return name ? query({ name, text, values }) : query(text, values);
  }) as typeof client.query;
  return client;
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types: pgTypes() });
  // An idle client losing its server must not crash the process; the next checkout reconnects.
  pool.on('error', (error) => log.warn('idle database connection failed', { error }));
  const preparingPool = { connect: async () => namePreparedStatements(await pool.connect()), end: () => pool.end() };
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: preparingPool }) });
  let listener: Promise<pg.Client> | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const database: Database = {
    db,
    kind: 'postgres',
    async listen(channel, onPayload) {
      listener ??= (async () => {
        const client = new pg.Client({ connectionString: url, types: pgTypes() });
        client.on('error', (error) => log.warn('database listener connection failed', { error }));
        client.on('notification', (message) => {
          for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
        });
        await client.connect();
        return client;
      })();
      const client = await listener;
      const set = handlers.get(channel) ?? new Set();
      if (set.size === 0) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      set.add(onPayload);
      handlers.set(channel, set);
      return async () => {
        set.delete(onPayload);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`);
        }
      };
    },
    async close() {
      const client = listener && (await listener.catch(() => undefined));
      await client?.end();
      await db.destroy();
    },
  };
  return migrateUnlessDisabled(database, options);
}

async function openPGlite(options: OpenDatabaseOptions): Promise<Database> {
  let directory: string | undefined;
  if (!options.inMemory) {
    if (!options.dataDir) throw new TypeError('openDatabase: PGlite needs dataDir unless inMemory is set');
    directory = join(options.dataDir, 'pglite');
    mkdirSync(directory, { recursive: true });
  }
  const pglite = await PGlite.create({
    dataDir: directory,
    loadDataDir: options.loadDataDir,
    parsers: { [INT8]: parseInt8, [NUMERIC]: parseNumeric, [BYTEA]: parseBytea },
  });
  const db = new Kysely<Schema>({ dialect: new PGliteDialect(pglite) });
  const database: Database = {
    db,
    kind: 'pglite',
    pglite,
    // Through the session mutex: a LISTEN issued while a transaction is open would join that
    // transaction and vanish if it rolled back.
    listen: async (channel, onPayload) => {
      const unlisten = await db.connection().execute(() => pglite.listen(channel, onPayload));
      return () => db.connection().execute(() => unlisten());
    },
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
  return migrateUnlessDisabled(database, options);
}

async function migrateUnlessDisabled(database: Database, options: OpenDatabaseOptions): Promise<Database> {
  if (options.migrate === false) return database;
  try {
    await migrate(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
export function withTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}

