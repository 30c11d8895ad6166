/**
 * A builder as its own process, configured from the environment like `serve --roles builder`:
 * the crash-safety test kills it with SIGKILL mid-build.
 */
import { workerFromConfig } from '../../src/builds/local-worker.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';

const config = loadConfig();
const database = await openDatabase({ url: config.databaseUrl, migrate: false, poolSize: 2 });
await workerFromConfig(database.db, config).start();
