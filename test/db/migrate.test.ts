import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../src/db/database.ts';
import { migrate, migrationsDirectory, readMigrations } from '../../src/db/migrate.ts';
import { RippleError } from '../../src/errors.ts';
import { databaseBackends } from '../helpers/database.ts';

const files = readMigrations();

/** A private copy of sql/ that a test may alter. */
function copyOfMigrations(): string {
  const directory = mkdtempSync(join(tmpdir(), 'ripple-migrations-'));
  cpSync(migrationsDirectory, directory, { recursive: true });
  return directory;
}

for (const backend of databaseBackends()) {
  const it = suite(`migrate (${backend.name})`);

  it('applies every file once, records name and checksum, and is idempotent', async () => {
    const database = await backend.open({ migrated: false });
    try {
      assert.equal(await migrate(database.db), files.map((f) => f.name));
      assert.equal(await migrate(database.db), []);
      const recorded = await database.db.selectFrom('schema_migrations').select(['name', 'checksum']).orderBy('name').execute();
      assert.equal(recorded, files.map(({ name, checksum }) => ({ name, checksum })));
      const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(database.db);
      assert.ok(tables.rows[0]!.n >= 16);
    } finally {
      await database.close();
    }
  });

  it('refuses to start when an applied file changed or is unknown', async () => {
    const database = await backend.open();
    const directory = copyOfMigrations();
    try {
      appendFileSync(join(directory, files[0]!.name), '\n-- edited after the fact\n');
      const changed = await migrate(database.db, directory).catch((e: unknown) => e);
      assert.instance(changed, RippleError);
      assert.match((changed as RippleError).message, `${files[0]!.name} changed after it was applied`);
      assert.is((changed as RippleError).details.file, join(directory, files[0]!.name));

      rmSync(join(directory, files[0]!.name));
      const unknown = await migrate(database.db, directory).catch((e: unknown) => e);
      assert.match((unknown as RippleError).message, 'this Ripple is older than the database');
    } finally {
      rmSync(directory, { recursive: true });
      await database.close();
    }
  });

  it('a failing file rolls back entirely and names itself; earlier files stay applied', async () => {
    const database = await backend.open();
    const directory = copyOfMigrations();
    try {
      writeFileSync(join(directory, '9998_good.sql'), 'create table probe_good (x int);');
      writeFileSync(join(directory, '9999_bad.sql'), 'create table probe_bad (x int);\nselect no_such_function();');
      const error = await migrate(database.db, directory).catch((e: unknown) => e);
      assert.instance(error, RippleError);
      assert.match((error as RippleError).message, '9999_bad.sql failed');
      const names = await database.db.selectFrom('schema_migrations').select('name').execute();
      assert.ok(names.some((r) => r.name === '9998_good.sql'));
      assert.not.ok(names.some((r) => r.name === '9999_bad.sql'));
      const bad = await sql<{ t: string | null }>`select to_regclass('probe_bad')::text as t`.execute(database.db);
      assert.is(bad.rows[0]!.t, null);
    } finally {
      rmSync(directory, { recursive: true });
      await database.close();
    }
  });

  if (backend.name === 'postgres') {
    it('two instances migrating at once apply each file exactly once', async () => {
      const database = await backend.open({ migrated: false });
      const other = await openDatabase({ url: database.url, migrate: false });
      try {
        const [a, b, c] = await Promise.all([migrate(database.db), migrate(other.db), migrate(database.db)]);
        assert.equal([...a, ...b, ...c].sort(), files.map((f) => f.name));
        const count = await database.db.selectFrom('schema_migrations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.is(count.n, files.length);
      } finally {
        await other.close();
        await database.close();
      }
    });
  }

  it.run();
}
