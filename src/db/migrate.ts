/**
 * Applies the forward-only SQL files in `sql/` (`0001_core.sql`, ...) in name order, each in its
 * own transaction, and records them in `schema_migrations`. Every step holds a transaction-scoped
 * advisory lock, so instances starting together apply each file exactly once. A recorded file
 * whose content changed, or a recorded file this version does not have, stops the start-up: the
 * schema would no longer be what the code expects.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { ErrorCode, RippleError } from '../errors.ts';
import { log } from '../log.ts';
import { LockClass } from './advisory-locks.ts';
import type { Schema } from './schema.ts';

export const migrationsDirectory = fileURLToPath(new URL('../../sql/', import.meta.url));

export interface MigrationFile {
  name: string;
  sql: string;
  /** Lowercase hex SHA-256 of the file content. */
  checksum: string;
}

const migrationName = /^\d{4}_[a-z0-9_-]+\.sql$/;

export function readMigrations(directory = migrationsDirectory): MigrationFile[] {
  return readdirSync(directory)
    .filter((name) => migrationName.test(name))
    .sort()
    .map((name) => {
      const text = readFileSync(join(directory, name), 'utf8');
      return { name, sql: text, checksum: createHash('sha256').update(text).digest('hex') };
    });
}

function checkApplied(applied: { name: string; checksum: string }[], files: MigrationFile[], directory: string): void {
  for (const row of applied) {
    const file = files.find((f) => f.name === row.name);
    if (!file) {
      throw new RippleError(
        ErrorCode.Conflict,
        `database has migration ${row.name} applied, but ${directory} does not contain it: this Ripple is older than the database`,
        { file: row.name },
      );
    }
    if (file.checksum !== row.checksum) {
      throw new RippleError(
        ErrorCode.Conflict,
        `${join(directory, row.name)} changed after it was applied (checksum ${row.checksum} recorded, ${file.checksum} now); migrations are forward-only, add a new file instead`,
        { file: join(directory, row.name), field: 'checksum' },
      );
    }
  }
}

/** Applies pending migrations; returns the names applied by this call (empty when up to date). */
export async function migrate(db: Kysely<Schema>, directory = migrationsDirectory): Promise<string[]> {
  const files = readMigrations(directory);
  const appliedNow: string[] = [];
  for (;;) {
    const name = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${LockClass.migrations}::int4, 0)`.execute(trx);
      await sql`create table if not exists schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`.execute(trx);
      const applied = await trx.selectFrom('schema_migrations').select(['name', 'checksum']).execute();
      checkApplied(applied, files, directory);
      const pending = files.find((f) => !applied.some((row) => row.name === f.name));
      if (!pending) return undefined;
      try {
        await sql.raw(pending.sql).execute(trx);
      } catch (error) {
        throw new RippleError(ErrorCode.Conflict, `migration ${join(directory, pending.name)} failed: ${(error as Error).message}`, {
          file: join(directory, pending.name),
        }, { cause: error });
      }
      await trx.insertInto('schema_migrations').values({ name: pending.name, checksum: pending.checksum }).execute();
      return pending.name;
    });
    if (name === undefined) return appliedNow;
    log.info('migration applied', { migration: name });
    appliedNow.push(name);
  }
}
