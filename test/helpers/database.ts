/**
 * Database backends for tests. Every DB test file loops over them:
 *
 *   for (const backend of databaseBackends()) {
 *     const it = suite(backend.name);
 *     let database: Database;
 *     it.before(async () => { database = await backend.open(); });
 *     it.after(() => database.close());
 *     ...
 *     it.run();
 *   }
 *
 * PGlite always runs; real PostgreSQL runs when DATABASE_URL is set. Each `open()` gives a fresh,
 * migrated database of its own, and `close()` discards it. Speed: PostgreSQL clones a migrated
 * template database (CREATE DATABASE ... TEMPLATE); PGlite loads a cached dump of a migrated
 * cluster (initdb + migrate takes seconds, loading a dump about one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { readMigrations } from '../../src/db/migrate.ts';

/** `url` is set on PostgreSQL, for tests that open further connections of their own. */
export type TestDatabase = Database & { url?: string };

export interface DatabaseBackend {
  name: 'pglite' | 'postgres';
  /** A fresh database; `migrated: false` gives an empty one (for migration tests). */
  open(options?: { migrated?: boolean }): Promise<TestDatabase>;
}

/** Changes whenever a migration file (or the PGlite version) changes, so caches never go stale. */
function schemaKey(): string {
  const hash = createHash('sha256');
  for (const file of readMigrations()) hash.update(`${file.name}:${file.checksum}\n`);
  // The package does not export package.json; find it beside its entry point (dist/index.*).
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  hash.update(readFileSync(join(dirname(entry), '..', 'package.json')));
  return hash.digest('hex').slice(0, 16);
}

const pglite: DatabaseBackend = {
  name: 'pglite',
  async open({ migrated = true } = {}) {
    if (!migrated) return openDatabase({ inMemory: true, migrate: false });
    const directory = join(tmpdir(), 'ripple-test-cache');
    const dumpFile = join(directory, `pglite-${schemaKey()}.tar`);
    let cached: Buffer | undefined;
    try {
      cached = readFileSync(dumpFile);
    } catch {
      // Not built yet for this schema: build it below.
    }
    if (cached) return openDatabase({ inMemory: true, loadDataDir: new Blob([cached]), migrate: false });
    const database = await openDatabase({ inMemory: true });
    const dump = await database.pglite!.dumpDataDir('none');
    mkdirSync(directory, { recursive: true });
    // Parallel test files may race to write it: write aside, then rename (atomic on one file system).
    const partial = `${dumpFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, dumpFile);
    for (const name of readdirSync(directory)) {
      if (/^pglite-[0-9a-f]{16}\.tar$/.test(name) && join(directory, name) !== dumpFile) rmSync(join(directory, name), { force: true });
    }
    return database;
  },
};

/** With a URL whose database is `test`, returns the same URL pointing at `name`. */
function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function asAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// Serialises template creation and cloning across parallel test processes (CREATE DATABASE
// refuses a template that another session is connected to, which includes one being migrated).
const TEMPLATE_LOCK = 0x52_49_7e_01;

function postgres(url: string): DatabaseBackend {
  return {
    name: 'postgres',
    async open({ migrated = true } = {}) {
      const name = `ripple_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      const template = `ripple_template_${schemaKey()}`;
      await asAdmin(url, async (admin) => {
        await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
        try {
          if (migrated) {
            const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
            if (exists.rowCount === 0) {
              const building = `${template}_${randomBytes(4).toString('hex')}`;
              await admin.query(`create database ${building}`);
              const database = await openDatabase({ url: withDatabaseName(url, building), poolSize: 1 });
              await database.close();
              await admin.query(`alter database ${building} rename to ${template}`);
              // Templates of earlier schema versions are dead weight (we hold the lock, so no one clones them now).
              const stale = await admin.query<{ datname: string }>(
                "select datname from pg_database where datname like 'ripple\\_template\\_%' and datname <> $1", [template]);
              for (const { datname } of stale.rows) await admin.query(`drop database if exists ${datname}`).catch(() => undefined);
            }
            await admin.query(`create database ${name} template ${template}`);
          } else {
            await admin.query(`create database ${name}`);
          }
        } finally {
          await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
        }
      });
      const database: TestDatabase = await openDatabase({ url: withDatabaseName(url, name), migrate: false });
      database.url = withDatabaseName(url, name);
      const close = database.close;
      database.close = async () => {
        await close();
        await asAdmin(url, (admin) => admin.query(`drop database if exists ${name} with (force)`));
      };
      return database;
    },
  };
}

export function databaseBackends(): DatabaseBackend[] {
  const url = process.env.DATABASE_URL;
  return url ? [pglite, postgres(url)] : [pglite];
}

/** The real PostgreSQL backend when DATABASE_URL is set (or at `url`): for tests that need several sessions or processes. */
export function postgresBackend(): DatabaseBackend | undefined;
export function postgresBackend(url: string): DatabaseBackend;
export function postgresBackend(url = process.env.DATABASE_URL): DatabaseBackend | undefined {
  return url ? postgres(url) : undefined;
}
