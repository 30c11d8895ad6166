/** `ripple migrate`: applies the pending SQL migrations and names them. */
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { openServiceDatabase, runCommand } from './command-line.ts';

const help = `usage: ripple migrate

Applies the pending migrations in sql/ to the configured database (DATABASE_URL, or the embedded
database in RIPPLE_DATA_DIR) and lists them. The service also migrates when it starts.`;

export const run = (args: string[]) => runCommand({ name: 'migrate', help }, args, async () => {
  const database = await openServiceDatabase(loadConfig(), { migrate: false });
  try {
    const applied = await migrate(database.db);
    console.log(applied.length ? `applied ${applied.length} migration${applied.length === 1 ? '' : 's'}:\n${applied.map((m) => `  ${m}`).join('\n')}` : 'the database is up to date');
  } finally {
    await database.close();
  }
});
