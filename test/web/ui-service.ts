/**
 * A real Ripple service for the browser tests: every role (API with /ws, watcher, scheduler, a
 * simulation builder) on a fresh test database, with the rpm-md fixture distribution (built by
 * rpmbuild and createrepo_c) ingested as collection `fixture` and its v1 + updates overlay as
 * `fixture-updates`, the demo's group, an admin and a maintainer token; builds are simulated. `bump()` is the demo's
 * regeneration: fixture moves to v2 (libbar 2.0), so baz becomes unresolvable.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { sourcesOfCollection } from '../../src/cli/add-packages-command.ts';
import { startService, type RunningService } from '../../src/cli/serve-command.ts';
import { addPackages, createCollection, createGroup, requestRegeneration, updateCollection } from '../../src/collections/service.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { readSnapshot } from '../../src/repos/read-repository.ts';
import type { DatabaseBackend, TestDatabase } from '../helpers/database.ts';

export interface UiService {
  url: string;
  database: TestDatabase;
  tokens: { admin: string; maintainer: string };
  /** Moves `fixture` to v2 and asks the watcher to ingest it (as `ripple demo-bump`), or ingests it here (`now`). */
  bump(options?: { now?: boolean }): Promise<void>;
  /** Stops every role (websockets close), runs `meanwhile`, and starts them again on the same port. */
  restart(meanwhile: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startUiService(backend: DatabaseBackend): Promise<UiService> {
  const repos = await fixtureRepositories();
  const database = await backend.open();
  const { db } = database;
  for (const [name, sources] of [['fixture', [repos.v1]], ['fixture-updates', [repos.v1, repos.updates]]] as const) {
    const collection = await createCollection(db, {
      name, format: 'rpm-md', displayName: `rpm-md fixture (${sources.length === 1 ? 'v1' : 'v1 + updates'})`,
      sources: sources.map((url) => ({ url })), baseBuildroot: { group: 'build' }, architectures: ['x86_64'], buildBackend: 'simulation',
    });
    await addPackages(db, name, await sourcesOfCollection(collection));
    await ingestCollection(db, name, { instance: 'ui-test', threads: 1 });
  }
  const root = await createUser(db, { name: 'root', isAdmin: true });
  const alice = await createUser(db, { name: 'alice' });
  const tokens = {
    admin: (await createToken(db, root, ['admin'], 'ui test admin')).token,
    maintainer: (await createToken(db, alice, ['maintainer'], 'ui test maintainer')).token,
  };
  await createGroup(db, null, { name: 'libbar-stack', description: 'libbar and what builds against it', packages: ['libbar', 'qux', 'baz', 'bartender', 'newthing', 'zap'] });
  // Build logs go to a scratch data directory.
  const dataDir = mkdtempSync(join(tmpdir(), 'ripple-ui-'));
  const config: Config = {
    ...loadConfig({}), dataDir, httpPort: 0, httpHost: '127.0.0.1', builderBackend: 'simulation', simulationTimeScale: 0.0001,
    // Builders poll every third of the lease: a short lease makes the simulated builds start within seconds.
    schedulerIntervalSeconds: 1, buildLeaseSeconds: 6, resolverThreads: 1, logLevel: 'warn',
  };
  const roles = ['api', 'watcher', 'scheduler', 'builder'] as const;
  let service: RunningService = await startService(database, config, roles);
  const url = service.url!;
  return {
    url,
    database,
    tokens,
    async bump({ now = false } = {}) {
      const names = [...new Set((await readSnapshot([repos.v2], 'rpm', { filelists: false, comps: false })).sources.map((s) => s.name))];
      await updateCollection(db, 'fixture', { sources: [{ url: repos.v2 }] });
      await addPackages(db, 'fixture', names);
      if (now) await ingestCollection(db, 'fixture', { instance: 'ui-test', threads: 1 });
      else await requestRegeneration(db, 'fixture');
    },
    async restart(meanwhile) {
      await service.stop();
      await meanwhile();
      service = await startService(database, { ...config, httpPort: Number(new URL(url).port) }, roles);
    },
    async stop() {
      await service.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
