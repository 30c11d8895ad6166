/**
 * Crash safety: a builder process killed with SIGKILL in the middle of a build loses its lease;
 * the build returns to the queue as an infrastructure failure (never the package failing) and
 * another worker completes it, once. Needs two processes on one database: real PostgreSQL
 * (DATABASE_URL); with PGlite alone the dead worker is one that stops renewing in-process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { localExecutor } from '../../src/builds/build-executors.ts';
import { claimBuilds, registerBuilder } from '../../src/builds/build-queue.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends, postgresBackend, type TestDatabase } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, testSettings } from '../scheduling/scheduling-fixture.ts';

const root = new URL('../..', import.meta.url).pathname;
const logDir = mkdtempSync(join(tmpdir(), 'ripple-crash-logs-'));
const until = async (what: string, check: () => Promise<boolean>, seconds = 30) => {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Kills the doomed worker: a real process under SIGKILL, or (PGlite) a claim nobody renews. */
async function doomedWorker(database: TestDatabase): Promise<void> {
  if (database.url) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/builds/worker-process.ts')], {
      cwd: root, stdio: 'ignore',
      env: { ...process.env, DATABASE_URL: database.url, RIPPLE_BUILDER_NAME: 'doomed', RIPPLE_BUILD_COMMAND: 'sleep 30',
        RIPPLE_BUILD_LEASE_SECONDS: '1', RIPPLE_BUILDER_ARCHES: 'x86_64', RIPPLE_DATA_DIR: logDir },
    });
    await until('the doomed worker to start the build', async () =>
      (await database.db.selectFrom('builds').select('id').where('worker', '=', 'doomed').where('state', '=', 'running').execute()).length === 1);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  } else {
    const doomed = { name: 'doomed', backend: 'local' as const, arches: ['x86_64'], capacity: 1 };
    await registerBuilder(database.db, doomed);
    assert.is((await claimBuilds(database.db, doomed, 1, 1)).length, 1);
  }
}

const backends = postgresBackend() ? [postgresBackend()!] : databaseBackends();
for (const backend of backends) {
  test(`kill -9 of a worker mid-build: the build is retried and completed once (${backend.name})`, async () => {
    const database = await backend.open();
    try {
      const repos = await fixtureRepositories();
      await fixtureCollection(database.db, 'crash', repos.v1, 'local');
      await addBuilder(database.db, 'capacity', 4, 'local');
      await database.db.updateTable('packages').set({ manual_priority: 3000 }).where('name', '=', 'foo').execute();
      assert.is((await schedulerTick(database.db, testSettings())).queued.length, 1);
      await doomedWorker(database);

      const rescuer = new BuildWorker(database.db, {
        name: 'rescuer', backend: 'local', arches: ['x86_64'], capacity: 1, leaseSeconds: 1, pollSeconds: 0.1,
        retry: { maxAttempts: 3, backoffSeconds: 0 }, executor: localExecutor('echo rebuilt {package}', 30), logDir,
      });
      await rescuer.start();
      try {
        await until('the rescuer to finish the build', async () =>
          (await database.db.selectFrom('builds').select('id').where('state', 'in', ['queued', 'running']).execute()).length === 0);
      } finally {
        await rescuer.stop();
      }
      const builds = await database.db.selectFrom('builds').selectAll().execute();
      assert.is(builds.length, 1, 'no duplicate build');
      assert.is(builds[0]!.state, 'succeeded');
      assert.is(builds[0]!.worker, 'rescuer');
      assert.is(builds[0]!.attempt, 2);
      const events = await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.*'] });
      assert.equal(events.map((e) => `${e.type} ${String(e.payload.worker ?? '')}`.trim()),
        ['build.queued', 'build.started doomed', 'build.retry', 'build.started rescuer', 'build.finished']);
      assert.match(String(events[2]!.payload.error), /lease of worker doomed expired/);
      const foo = await database.db.selectFrom('packages').select('state').where('name', '=', 'foo').executeTakeFirstOrThrow();
      assert.is(foo.state, 'ok', 'the lost worker never made the package fail');
    } finally {
      await database.close();
    }
  });
}

test.run();
