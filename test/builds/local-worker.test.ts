/**
 * The local backend end to end with real tools: the scheduler queues fixture packages, a builder
 * runs `rpmbuild --rebuild` of their SRPMs (found through primary.xml), the log is stored, the
 * result recorded, the package state and events updated; after the libbar bump a dependent whose
 * build now fails is a regression carrying the dependency changes since its previous build.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { localExecutor } from '../../src/builds/build-executors.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import { findSourceRpm } from '../../src/builds/srpm-locator.ts';
import type { Database } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, moveTo, testSettings } from '../scheduling/scheduling-fixture.ts';

// --nodeps: the fixture's build dependencies are not installed on this host (mock would install them).
const rpmbuild = 'rpmbuild --rebuild --nodeps {srpm} --define "_topdir {workdir}"';

for (const backend of databaseBackends()) {
  const it = suite(`local worker (${backend.name})`);
  let database: Database;
  let repos: FixtureRepositories;
  const logDir = mkdtempSync(join(tmpdir(), 'ripple-logs-'));
  const settings = testSettings();

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    await fixtureCollection(database.db, 'rpms', repos.v1, 'local');
    await addBuilder(database.db, 'capacity', 10, 'local');
  });
  it.after(async () => database.close());

  const worker = (name: string, command: string) => new BuildWorker(database.db, {
    name, backend: 'local', arches: ['x86_64'], capacity: 2, leaseSeconds: 30, pollSeconds: 0.1,
    retry: { maxAttempts: 3, backoffSeconds: 0 }, executor: localExecutor(command, 60), logDir,
  });
  const bump = (names: string[]) => database.db.updateTable('packages').set({ manual_priority: 3000 }).where('name', 'in', names).execute();
  async function runUntilIdle(w: BuildWorker): Promise<void> {
    await w.start();
    const deadline = Date.now() + 50_000;
    for (;;) {
      const active = await database.db.selectFrom('builds').select('id').where('state', 'in', ['queued', 'running']).execute();
      if (active.length === 0) break;
      if (Date.now() > deadline) throw new Error('builds did not finish');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await w.stop();
  }
  const buildsOf = (name: string) => database.db.selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id')
    .selectAll('b').where('p.name', '=', name).orderBy('b.id').execute();

  it('finds SRPMs through primary.xml', async () => {
    assert.match(await findSourceRpm([repos.v1], 'qux'), /\/Packages\/qux-[^/]+\.src\.rpm$/);
    assert.match(await findSourceRpm([repos.v1, repos.updates], 'libbar'), /updates\/Packages\/libbar-2\.0-1\.src\.rpm$/);
  });

  it('rpmbuild --rebuild: passed and failed builds with logs, results, states and events', async () => {
    await bump(['qux', 'foo']);
    assert.is((await schedulerTick(database.db, settings)).queued.length, 2);
    await runUntilIdle(worker('w1', `case {package} in foo) echo 'foo: make failed' >&2; exit 2;; esac; ${rpmbuild}`));
    const [qux] = await buildsOf('qux');
    assert.is(qux!.state, 'succeeded');
    assert.is(qux!.outcome, 'passed');
    assert.is(qux!.exit_status, 0);
    assert.ok(qux!.buildroot && qux!.buildroot_size! > 0, 'the buildroot it built with is stored');
    assert.match(readFileSync(qux!.log_path!, 'utf8'), /Wrote: .*qux-devel-.*\.x86_64\.rpm/);
    const [foo] = await buildsOf('foo');
    assert.is(foo!.state, 'failed');
    assert.is(foo!.outcome, 'failed', 'no previous build to compare with');
    assert.match(readFileSync(foo!.log_path!, 'utf8'), /foo: make failed/);
    const states = Object.fromEntries((await database.db.selectFrom('packages').select(['name', 'state']).execute()).map((p) => [p.name, p.state]));
    assert.is(states.qux, 'ok');
    assert.is(states.foo, 'failing');
    const results = await database.db.selectFrom('results as r').innerJoin('testcases as t', 't.id', 'r.testcase_id')
      .innerJoin('result_data as d', 'd.result_id', 'r.id').select(['r.outcome', 'd.value'])
      .where('t.name', '=', 'ripple.scratch-build').where('d.key', '=', 'item').orderBy('d.value').execute();
    assert.equal(results, [{ outcome: 'FAILED', value: 'rpms/foo' }, { outcome: 'PASSED', value: 'rpms/qux' }]);
    const events = await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.finished', 'package.state.change'] });
    assert.equal(events.filter((e) => e.type === 'build.finished').map((e) => `${e.packageName}:${e.payload.outcome}`).sort(), ['foo:failed', 'qux:passed']);
    assert.ok(events.some((e) => e.type === 'package.state.change' && e.packageName === 'foo' && e.payload.new === 'failing'));
  });

  it('after the libbar bump: a broken dependent is a regression with the changes that caused it', async () => {
    await moveTo(database.db, 'rpms', repos.v2);
    const queued = (await schedulerTick(database.db, settings)).queued.map((b) => b.package);
    assert.ok(queued.includes('qux'), queued.join(', '));
    await runUntilIdle(worker('w2', `case {package} in qux) echo 'undefined reference to bar_init' >&2; exit 1;; esac; ${rpmbuild}`));
    const [, second] = await buildsOf('qux');
    assert.is(second!.outcome, 'regression');
    const changes = await database.db.selectFrom('dependency_changes').select(['dependency_name', 'kind', 'distance'])
      .where('build_id', '=', second!.id).where('baseline', '=', 'last_build').execute();
    assert.ok(changes.some((c) => c.dependency_name === 'libbar-devel' && c.kind === 'upgraded' && c.distance === 1), JSON.stringify(changes));
    const finished = (await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.finished'] })).find((e) => e.payload.build_id === second!.id)!;
    assert.ok((finished.payload.dependency_changes as { name: string }[]).some((c) => c.name === 'libbar-devel'));
    const [, fooAgain] = await buildsOf('foo');
    assert.is(fooAgain?.outcome, 'fixed', 'foo failed before and builds now');
  });

  it.run();
}
