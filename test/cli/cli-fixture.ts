/**
 * Shared by the CLI tests: a scratch RIPPLE_DATA_DIR whose embedded database is already migrated
 * (copied from the test helpers' cached dump, so no test pays for initdb), and the environment the
 * spawned `ripple` processes run with.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.ts';
import { databaseBackends } from '../helpers/database.ts';

export const projectRoot = new URL('../..', import.meta.url).pathname;

/** A fresh data directory with a migrated PGlite cluster at `<dir>/<databaseDir>/pglite`. */
export async function seededDataDir(databaseDir = '.'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-cli-'));
  const template = await databaseBackends().find((b) => b.name === 'pglite')!.open();
  const dump = await template.pglite!.dumpDataDir('none');
  await template.close();
  const seeded = await openDatabase({ dataDir: join(dir, databaseDir), loadDataDir: dump, migrate: false });
  await seeded.close();
  return dir;
}

// Always the embedded database: the commands under test must not write a shared PostgreSQL.
const { DATABASE_URL: _ignored, ...inherited } = process.env;

export const rippleEnv = (dataDir: string) => ({ ...inherited, RIPPLE_DATA_DIR: dataDir, RIPPLE_LOG_LEVEL: 'warn', RIPPLE_RESOLVER_THREADS: '1' });

/** `node --import tsx src/main.ts ...args`, as the README runs it. */
export const rippleCommand = (...args: string[]) => [process.execPath, ['--import', 'tsx', 'src/main.ts', ...args]] as const;
