/**
 * Canceling a running build of the local backend: the worker learns of the request from its lease
 * renewal, kills the build command's process group through the AbortSignal, and records the build
 * as canceled (with `build.canceled`), never as failed or retried.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { localExecutor } from '../../src/builds/build-executors.ts';
import { cancelBuilds } from '../../src/builds/build-queue.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { withTransaction, type Database } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { addBuilder, fixtureCollection, testSettings } from '../scheduling/scheduling-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`cancel a running build (${backend.name})`);
  let database: Database;
  it.before(async () => {
    database = await backend.open();
    await fixtureCollection(database.db, 'cancel', (await fixtureRepositories()).v1, 'local');
    await addBuilder(database.db, 'cancel-capacity', 2, 'local');
  });
  it.after(async () => database.close());

  const until = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 120_000, 50);

  it('the worker kills the command and records the build as canceled', async () => {
    const db = database.db;
    const worker = new BuildWorker(db, {
      name: 'canceler', backend: 'local', arches: ['x86_64'], capacity: 1, leaseSeconds: 30, pollSeconds: 0.1,
      retry: { maxAttempts: 3, backoffSeconds: 0 }, executor: localExecutor('echo started; sleep 600; echo slept', 900),
      logDir: mkdtempSync(join(tmpdir(), 'ripple-cancel-logs-')),
    });
    await db.updateTable('packages').set({ manual_priority: 3000 }).where('name', '=', 'foo').execute();
    const [queued] = (await schedulerTick(db, testSettings())).queued;
    assert.is(queued!.package, 'foo');
    await worker.start();
    try {
      await until('the build to run', async () => (await db.selectFrom('builds').select('state').where('id', '=', queued!.id).executeTakeFirst())?.state === 'running' || undefined);
      const outcome = await withTransaction(db, (trx) => cancelBuilds(trx, [queued!.id], 'erin'));
      assert.equal(outcome, [{ id: queued!.id, was: 'running', state: 'running' }], 'a running build is asked to stop');
      const build = await until('the cancel', async () => {
        const row = await db.selectFrom('builds').selectAll().where('id', '=', queued!.id).executeTakeFirstOrThrow();
        return row.state === 'canceled' ? row : undefined;
      });
      assert.is(build.outcome, null);
      assert.is(build.canceled_by, 'erin');
      assert.is(build.attempt, 1, 'not retried');
      assert.ok(build.log_path, 'the log is kept');
      assert.match(readFileSync(build.log_path, 'utf8').trim(), /^\$ echo started; sleep 600; echo slept\n(started\n)?\n\[exit status none: canceled\]$/,
        'killed (during the sleep, or at once when the cancel came before the command started)');
      await new Promise((r) => setTimeout(r, 300));
      assert.not.ok(worker.running.size, 'the worker let go of it');
      const events = await readEvents(db, { afterId: 0, limit: 1000, types: ['build.canceled', 'build.finished', 'build.retry'] });
      assert.equal(events.map((e) => [e.type, e.payload.was, e.payload.by]), [['build.canceled', 'running', 'erin']]);
    } finally {
      await worker.stop();
    }
  });

  it.run();
}
