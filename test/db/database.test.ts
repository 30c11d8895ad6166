import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase, withTransaction, type Database } from '../../src/db/database.ts';
import { databaseBackends } from '../helpers/database.ts';

/** Column name -> nullable, per table, read from the interfaces in src/db/schema.ts. */
function declaredColumns(): Map<string, Map<string, boolean>> {
  const path = new URL('../../src/db/schema.ts', import.meta.url).pathname;
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const tables = new Map<string, Map<string, boolean>>();
  for (const member of interfaces.get('Schema')!.members) {
    if (!ts.isPropertySignature(member)) continue;
    const table = interfaces.get(member.type!.getText())!;
    const columns = new Map<string, boolean>();
    for (const column of table.members) {
      if (ts.isPropertySignature(column)) columns.set(column.name.getText(), /\|\s*null\b/.test(column.type!.getText()));
    }
    tables.set(member.name.getText(), columns);
  }
  return tables;
}

for (const backend of databaseBackends()) {
  const it = suite(`database (${backend.name})`);
  let database: Database;
  it.before(async () => {
    database = await backend.open();
  });
  it.after(() => database.close());

  it('schema.ts declares exactly the columns (and nullability) of the migrated schema', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: string; is_view: boolean }>`
      select c.table_name, c.column_name, c.is_nullable, t.table_type = 'VIEW' as is_view
      from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
      where c.table_schema = 'public' order by c.table_name, c.ordinal_position`.execute(database.db);
    const actual = new Map<string, Map<string, boolean>>();
    const views = new Set(rows.filter((r) => r.is_view).map((r) => r.table_name));
    for (const row of rows) {
      if (!actual.has(row.table_name)) actual.set(row.table_name, new Map());
      actual.get(row.table_name)!.set(row.column_name, row.is_nullable === 'YES');
    }
    const declared = declaredColumns();
    assert.equal([...declared.keys()].sort(), [...actual.keys()].sort());
    for (const [table, columns] of actual) {
      // PostgreSQL reports every column of a view as nullable: only their names can be compared.
      const [want, have] = views.has(table) ? [[...declared.get(table)!.keys()], [...columns.keys()]] : [[...declared.get(table)!], [...columns]];
      assert.equal(want.sort(), have.sort(), table);
    }
  });

  it('reads values the same way on every backend', async () => {
    const collection = await database.db.insertInto('collections').values({
      name: 'values-test', display_name: 'Values', format: 'debian',
      sources: JSON.stringify([{ url: 'file:///srv/a' }, { url: 'file:///srv/b' }]),
      architectures: ['amd64', 'arm64'],
    }).returningAll().executeTakeFirstOrThrow();
    assert.type(collection.id, 'number');
    assert.equal(collection.sources, [{ url: 'file:///srv/a' }, { url: 'file:///srv/b' }]);
    assert.equal(collection.architectures, ['amd64', 'arm64']);
    assert.equal(collection.base_buildroot, {});
    assert.is(collection.priority_coefficient, 1);
    assert.instance(collection.created_at, Date);

    const snapshot = await database.db.insertInto('snapshots').values({
      collection_id: collection.id, sequence: 1, base_buildroot: Buffer.from([0, 1, 254, 255]),
      blob_sha256s: ['a'.repeat(64)],
    }).returningAll().executeTakeFirstOrThrow();
    assert.ok(Buffer.isBuffer(snapshot.base_buildroot));
    assert.equal([...snapshot.base_buildroot!], [0, 1, 254, 255]);
    assert.is(snapshot.state, 'ingesting');

    const { rows } = await sql<{ big: number; huge: string; exact: number }>`
      select 9007199254740991::int8 as big, 9007199254740993::int8 as huge, 2.5::numeric as exact`.execute(database.db);
    assert.equal(rows[0], { big: 9007199254740991, huge: '9007199254740993', exact: 2.5 });
  });

  it('constraints hold: unique names, one active snapshot per collection, global group names', async () => {
    const { id } = await database.db.insertInto('collections').values({ name: 'constraints', display_name: 'C', format: 'rpm-md' })
      .returning('id').executeTakeFirstOrThrow();
    const duplicate = await database.db.insertInto('collections').values({ name: 'constraints', display_name: 'D', format: 'rpm-md' })
      .execute().catch((e: unknown) => e);
    assert.instance(duplicate, Error);
    await database.db.insertInto('snapshots').values({ collection_id: id, sequence: 1, state: 'active' }).execute();
    const second = await database.db.insertInto('snapshots').values({ collection_id: id, sequence: 2, state: 'active' })
      .execute().catch((e: unknown) => e);
    assert.instance(second, Error);
    await database.db.insertInto('package_groups').values({ name: 'python', namespace_user_id: null }).execute();
    const again = await database.db.insertInto('package_groups').values({ name: 'python', namespace_user_id: null })
      .execute().catch((e: unknown) => e);
    assert.instance(again, Error, 'NULL namespace counts as one namespace');
    const user = await database.db.insertInto('users').values({ name: 'carol' }).returning('id').executeTakeFirstOrThrow();
    const token = { user_id: user.id, token_sha256: 'f'.repeat(64) };
    const badScope = await database.db.insertInto('api_tokens').values({ ...token, scopes: ['root' as 'ci'] })
      .execute().catch((e: unknown) => e);
    assert.instance(badScope, Error);
    await database.db.insertInto('api_tokens').values({ ...token, scopes: ['ci', 'maintainer'] }).execute();
  });

  it('a transaction owns its session: a concurrent statement never lands inside it', async () => {
    await sql`create table if not exists probe (label text)`.execute(database.db);
    const failing = withTransaction(database.db, async (trx) => {
      await trx.insertInto('probe' as never).values({ label: 'rolled back' } as never).execute();
      await sleep(50);
      throw new Error('abort');
    }).catch(() => undefined);
    await sleep(10);
    await sql`insert into probe values ('committed')`.execute(database.db);
    await failing;
    const { rows } = await sql<{ label: string }>`select label from probe`.execute(database.db);
    assert.equal(rows.map((r) => r.label), ['committed']);
  });

  it.run();
}

const disk = suite('database (pglite on disk)');
disk('keeps data under <dataDir>/pglite across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ripple-data-'));
  try {
    const first = await openDatabase({ dataDir });
    await first.db.insertInto('users').values({ name: 'alice' }).execute();
    await first.close();
    const second = await openDatabase({ dataDir });
    const users = await second.db.selectFrom('users').select('name').execute();
    await second.close();
    assert.equal(users, [{ name: 'alice' }]);
  } finally {
    rmSync(dataDir, { recursive: true });
  }
});
disk.run();
