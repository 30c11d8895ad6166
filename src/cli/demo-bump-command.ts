/**
 * `ripple demo-bump [--revert]`: simulates a regeneration of the demo's repository by pointing the
 * `fixture` collection at the fixture's v2 (libbar 2.0: baz becomes unresolvable), or back at v1.
 * It goes through the running demo's API, since the embedded database belongs to that process;
 * without a running demo it writes the database and the next `ripple demo` ingests the change.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fixtureRepositories } from '../../test/fixtures/rpm/build-fixture-repos.ts';
import { addPackages, requestRegeneration, updateCollection } from '../collections/service.ts';
import { loadConfig } from '../config.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { readSnapshot } from '../repos/read-repository.ts';
import { runCommand } from './command-line.ts';
import { demoFiles, FIXTURE_COLLECTION, openDemoDatabase } from './demo-command.ts';

const help = `usage: ripple demo-bump [--revert]

Points the demo's 'fixture' collection at the next version of the fixture distribution (v2:
libbar 2.0 no longer provides libbar.so.1, so baz becomes unresolvable) and asks the watcher to
ingest it; --revert points it back at v1.`;

const readIfExists = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : '');

async function callApi(base: string, token: string, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new RippleError(ErrorCode.UpstreamFailed, `${method} ${base}${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`, { status: response.status });
  }
}

/** fetch's failure to connect (nothing listens at the recorded URL any more). */
const unreachable = (error: unknown) => error instanceof TypeError && /fetch failed/.test(error.message);

export const run = (args: string[]) => runCommand({ name: 'demo-bump', help, options: { revert: { type: 'boolean' } } }, args, async (a) => {
  const config = loadConfig();
  const files = demoFiles(config);
  const repos = await fixtureRepositories();
  const location = a.flag('revert') ? repos.v1 : repos.v2;
  // Sources new in this version (zap in v2) are tracked too, as a maintainer would add them.
  const names = [...new Set((await readSnapshot([location], 'rpm', { filelists: false, comps: false })).sources.map((s) => s.name))];
  const what = a.flag('revert') ? 'back to v1' : 'to v2 (libbar 2.0)';
  const url = readIfExists(files.url);
  const token = readIfExists(files.token);
  if (url && token) {
    try {
      await callApi(url, token, 'PATCH', `/api/collections/${FIXTURE_COLLECTION}`, { sources: [{ url: location }] });
      await callApi(url, token, 'POST', `/api/collections/${FIXTURE_COLLECTION}/packages`, { packages: names });
      await callApi(url, token, 'POST', `/api/collections/${FIXTURE_COLLECTION}/regenerate`);
      console.log(`moved ${FIXTURE_COLLECTION} ${what} and requested a regeneration at ${url}; the watcher ingests it within seconds:`);
      console.log(`  curl -s ${url}/api/collections/${FIXTURE_COLLECTION}/packages/baz`);
      return;
    } catch (error) {
      if (!unreachable(error)) throw error;
    }
  }
  const database = await openDemoDatabase(config);
  try {
    await updateCollection(database.db, FIXTURE_COLLECTION, { sources: [{ url: location }] });
    await addPackages(database.db, FIXTURE_COLLECTION, names);
    await requestRegeneration(database.db, FIXTURE_COLLECTION);
  } finally {
    await database.close();
  }
  console.log(`moved ${FIXTURE_COLLECTION} ${what}; no demo is running, so the next 'npm run demo' ingests it`);
});
