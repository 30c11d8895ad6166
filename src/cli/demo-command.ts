/**
 * `ripple demo [--port N] [--debian]`: the README's first command. On a machine with nothing
 * configured it builds the rpm-md fixture distribution, sets up a collection following it (in the
 * embedded database under `<dataDir>/demo`, or DATABASE_URL), ingests it, and serves everything
 * with a short guide. Re-running reuses what exists; `ripple demo-bump` simulates a repository
 * regeneration against the running demo.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureRepositories, type FixtureRepositories } from '../../test/fixtures/rpm/build-fixture-repos.ts';
import {
  addPackages, createCollection, createGroup, getCollection, getGroup, updateCollection,
} from '../collections/service.ts';
import { loadConfig, type Config } from '../config.ts';
import type { Database, Db } from '../db/database.ts';
import type { Collection } from '../db/schema.ts';
import { authenticate, createToken, createUser, getUser } from '../users/service.ts';
import { sourcesOfCollection } from './add-packages-command.ts';
import { openServiceDatabase, runCommand, unlessNotFound } from './command-line.ts';
import { describeOutcome, ingestWithProgress } from './regenerate-command.ts';
import { roles, serveUntilSignal, startService } from './serve-command.ts';

const help = `usage: ripple demo [--port N] [--debian]

Starts Ripple with a demo collection 'fixture' that follows the rpm-md fixture distribution
(built here with rpmbuild and createrepo_c), in the embedded database under <dataDir>/demo
(or DATABASE_URL when set). Prints the URL, an admin token and commands to try.

  --port N     HTTP port (default RIPPLE_HTTP_PORT or 8080; 0 picks a free one)
  --debian     also follow Debian bookworm from ../shared/data/debian/bookworm (ingested in the background)`;

export const FIXTURE_COLLECTION = 'fixture';
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const bookwormDirectory = join(projectRoot, '..', 'shared', 'data', 'debian', 'bookworm');

export interface DemoFiles {
  directory: string;
  /** The admin token, written once and reprinted on later runs. */
  token: string;
  /** The running demo's URL, present while it serves (demo-bump talks to it). */
  url: string;
}

export function demoFiles(config: Config): DemoFiles {
  const directory = join(config.dataDir, 'demo');
  return { directory, token: join(directory, 'token'), url: join(directory, 'url') };
}

/** The demo's own embedded database, so trying the demo never touches a real one; DATABASE_URL wins. */
export const openDemoDatabase = (config: Config): Promise<Database> => openServiceDatabase({ ...config, dataDir: demoFiles(config).directory });

const urls = (c: Collection) => (c.sources as { url: string }[]).map((s) => s.url).join('\n');

/** The fixture collection, created on the first run; pointed at v1 again when the fixture was rebuilt elsewhere. */
async function ensureFixtureCollection(db: Db, repos: FixtureRepositories): Promise<Collection> {
  const current = await unlessNotFound(getCollection(db, FIXTURE_COLLECTION));
  if (!current) {
    const created = await createCollection(db, {
      name: FIXTURE_COLLECTION, format: 'rpm-md', displayName: 'rpm-md fixture distribution',
      sources: [{ url: repos.v1 }], baseBuildroot: { group: 'build' }, architectures: ['x86_64'],
    });
    await addPackages(db, FIXTURE_COLLECTION, await sourcesOfCollection(created));
    return created;
  }
  const known = [[repos.v1], [repos.v2], [repos.v1, repos.updates]].map((list) => list.join('\n'));
  if (known.includes(urls(current))) return current;
  return updateCollection(db, FIXTURE_COLLECTION, { sources: [{ url: repos.v1 }] });
}

async function ensureGroup(db: Db): Promise<void> {
  if (await unlessNotFound(getGroup(db, { namespace: null, name: 'libbar-stack' }))) return;
  await createGroup(db, null, {
    name: 'libbar-stack', description: 'libbar and what builds against it',
    packages: ['libbar', 'qux', 'baz', 'bartender', 'newthing', 'zap'],
  });
}

/** The admin token of user `demo`: the stored one while it still authenticates, else a new one. */
async function ensureToken(db: Db, tokenFile: string): Promise<string> {
  const user = (await unlessNotFound(getUser(db, 'demo'))) ?? (await createUser(db, { name: 'demo', isAdmin: true }));
  const stored = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  if (stored && (await authenticate(db, stored))) return stored;
  const { token } = await createToken(db, user, ['admin'], 'demo token (ripple demo)');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Debian bookworm, tracking every source; the watcher ingests it once the service runs. */
async function ensureBookworm(db: Db): Promise<boolean> {
  if (!existsSync(join(bookwormDirectory, 'InRelease')) && !existsSync(join(bookwormDirectory, 'Release'))) {
    console.log(`--debian: ${bookwormDirectory} does not exist, so there is no bookworm collection`);
    return false;
  }
  if (await unlessNotFound(getCollection(db, 'bookworm'))) return true;
  const created = await createCollection(db, {
    name: 'bookworm', format: 'debian', displayName: 'Debian 12 bookworm main', sources: [{ url: bookwormDirectory }],
    baseBuildroot: { packages: ['build-essential'], essential: true }, architectures: ['amd64'],
  });
  await addPackages(db, 'bookworm', await sourcesOfCollection(created));
  return true;
}

function guide(url: string, files: DemoFiles, token: string, database: Database, bookworm: boolean): string {
  // Relative to where the user stands when that is shorter, as in the README's commands.
  const here = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
  };
  const tokenFile = here(files.token);
  return `
Ripple demo running at ${url}  (${database.kind === 'pglite' ? `embedded database in ${here(files.directory)}` : 'DATABASE_URL'})

Web UI: ${url}/  (paste the admin token under "Log in" for the admin actions)

Admin token of user 'demo' (also in ${tokenFile}):
  ${token}

Try:
  curl -s '${url}/api/packages?collection=${FIXTURE_COLLECTION}'
  curl -s ${url}/api/collections/${FIXTURE_COLLECTION}/packages/baz
  curl -s '${url}/api/packages?group=global/libbar-stack'
  curl -s -X POST -H "Authorization: Bearer $(cat ${tokenFile})" ${url}/api/collections/${FIXTURE_COLLECTION}/regenerate
  ${url}/openapi.json describes every route.

Simulate a repository regeneration (libbar 2.0 drops libbar.so.1, so baz becomes unresolvable):
  node bin/ripple.js demo-bump            (undo: node bin/ripple.js demo-bump --revert)
then look at baz again: its state, problems and root cause changed.
${bookworm ? '\nThe watcher is ingesting Debian bookworm (collection bookworm) in the background: the first time takes a minute or two.\n' : ''}
Ctrl-C stops the demo; everything stays for the next run.`;
}

export const run = (args: string[]) => runCommand({
  name: 'demo', help, options: { port: { type: 'string' }, debian: { type: 'boolean' } },
}, args, async (a) => {
  const base = loadConfig();
  // The demo runs every role in one process; its builder simulates builds (deterministic outcomes
  // and durations), since the fixture packages' build dependencies are not installable here.
  const config: Config = { ...base, httpPort: a.integer('port') ?? base.httpPort, builderBackend: 'simulation' };
  const files = demoFiles(config);
  console.log('building the rpm-md fixture repositories (cached after the first run) ...');
  const repos = await fixtureRepositories();
  const database = await openDemoDatabase(config);
  try {
    const { db } = database;
    await ensureFixtureCollection(db, repos);
    await ensureGroup(db);
    const token = await ensureToken(db, files.token);
    console.log(describeOutcome(FIXTURE_COLLECTION, await ingestWithProgress(db, FIXTURE_COLLECTION, { threads: config.resolverThreads })));
    const bookworm = a.flag('debian') && (await ensureBookworm(db));
    const service = await startService(database, config, roles);
    writeFileSync(files.url, `${service.url}\n`);
    console.log(guide(service.url!, files, token, database, bookworm));
    await serveUntilSignal(service);
    rmSync(files.url, { force: true });
  } finally {
    await database.close();
  }
});
