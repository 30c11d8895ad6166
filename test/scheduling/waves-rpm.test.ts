/**
 * A rebuild wave end to end with real tools: rpm-md repositories built from the fixture specs
 * (rpmbuild + createrepo_c), a wave over everything affected by libbar built batch by batch by the
 * local backend with a real `rpmbuild --rebuild`; then the libbar bump (v2), a second wave, and a
 * dependent that breaks with the bump reported as a regression with the dependency change that
 * caused it, its result recorded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { localExecutor } from '../../src/builds/build-executors.ts';
import { BuildWorker } from '../../src/builds/local-worker.ts';
import type { Database } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { planWave, transitionWave, waveDetail, type WaveDetail } from '../../src/scheduling/waves.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureSources, ingest, moveTo, testSettings } from './scheduling-fixture.ts';

// --nodeps: the fixture's build dependencies are not installed on this host (mock would install them).
const rpmbuild = 'rpmbuild --rebuild --nodeps {srpm} --define "_topdir {workdir}"';

for (const backend of databaseBackends()) {
  const it = suite(`waves with rpmbuild (${backend.name})`);
  let database: Database;
  let repos: FixtureRepositories;
  const logDir = mkdtempSync(join(tmpdir(), 'ripple-wave-rpm-logs-'));
  const db = () => database.db;

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    const row = await db().insertInto('collections').values({
      name: 'rpmwave', display_name: 'rpmwave', format: 'rpm-md', sources: JSON.stringify([{ url: repos.v1 }]), architectures: ['x86_64'],
      base_buildroot: JSON.stringify({ group: 'build' }), build_backend: 'local',
    }).returning('id').executeTakeFirstOrThrow();
    await db().insertInto('packages').values([...fixtureSources, 'libbar'].map((p) => ({ collection_id: row.id, name: p }))).execute();
    await ingest(db(), 'rpmwave');
    await addBuilder(db(), 'rpm-capacity', 4, 'local');
  });
  it.after(async () => database.close());

  /** Plans and runs a wave over everything affected by libbar with `command`, to its end. */
  async function runWave(command: string): Promise<WaveDetail> {
    const planned = await planWave(db(), { collection: 'rpmwave', target: { kind: 'affected', value: 'libbar' }, description: '', by: 'tester' }, 30);
    await transitionWave(db(), planned.id, 'start', 'tester');
    const worker = new BuildWorker(db(), {
      name: `rpm-${planned.id}`, backend: 'local', arches: ['x86_64'], capacity: 4, leaseSeconds: 60, pollSeconds: 0.1,
      retry: { maxAttempts: 3, backoffSeconds: 0 }, executor: localExecutor(command, 300), logDir,
    });
    await worker.start();
    try {
      const deadline = Date.now() + 300_000;
      for (;;) {
        await schedulerTick(db(), testSettings());
        const wave = await waveDetail(db(), planned.id);
        if (wave.state === 'finished') return wave;
        if (Date.now() > deadline) throw new Error(`wave did not finish: ${JSON.stringify(wave.nodes)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }
  }

  /** Every build of a batch was queued after every build of the batches before it had finished. */
  async function assertWaveOrder(wave: WaveDetail): Promise<void> {
    const builds = await db().selectFrom('builds as b').innerJoin('wave_nodes as n', 'n.build_id', 'b.id').innerJoin('packages as p', 'p.id', 'b.package_id')
      .select(['p.name', 'n.batch', 'b.queued_at', 'b.finished_at']).where('n.wave_id', '=', wave.id).execute();
    assert.is(builds.length, wave.nodes.filter((n) => n.buildId !== null).length);
    for (const later of builds) {
      for (const earlier of builds.filter((b) => b.batch < later.batch)) {
        assert.ok(earlier.finished_at! <= later.queued_at, `${later.name} (batch ${later.batch}) was queued before ${earlier.name} finished`);
      }
    }
  }

  it('v1: libbar and its dependents built in wave order by rpmbuild --rebuild', async () => {
    const wave = await runWave(rpmbuild);
    assert.equal(wave.batches.map((b) => wave.nodes.filter((n) => n.batch === b.index).map((n) => n.package)),
      [['libbar'], ['bartender', 'foo', 'qux', 'richdeps'], ['baz', 'weakling']]);
    assert.equal(wave.counts.built, 7, JSON.stringify(wave.nodes));
    await assertWaveOrder(wave);
    const outcomes = await db().selectFrom('builds').select(['state', 'outcome', 'exit_status']).execute();
    assert.ok(outcomes.every((b) => b.state === 'succeeded' && b.outcome === 'passed' && b.exit_status === 0), JSON.stringify(outcomes));
  });

  it('after the libbar bump: the second wave reports the broken dependent as a regression with its cause', async () => {
    await moveTo(db(), 'rpmwave', repos.v2);
    // The bump breaks qux's link against libbar (the fixture ships no compiler, so the command says so).
    const wave = await runWave(`case {package} in qux) echo 'undefined reference to bar_init' >&2; exit 1;; esac; ${rpmbuild}`);
    await assertWaveOrder(wave);
    const nodes = Object.fromEntries(wave.nodes.map((n) => [n.package, n]));
    assert.is(nodes.qux!.state, 'failed');
    assert.match(nodes.qux!.reason!, /^build \d+ regression$/, JSON.stringify(wave.nodes));
    assert.is(nodes.libbar!.state, 'built');
    assert.not.ok('baz' in nodes, 'baz is unresolvable in v2: not part of the graph');
    const qux = await db().selectFrom('builds').selectAll().where('id', '=', nodes.qux!.buildId!).executeTakeFirstOrThrow();
    assert.is(qux.outcome, 'regression');
    const changes = await db().selectFrom('dependency_changes').select(['dependency_name', 'kind', 'distance'])
      .where('build_id', '=', qux.id).where('baseline', '=', 'last_build').execute();
    assert.ok(changes.some((c) => c.dependency_name === 'libbar-devel' && c.kind === 'upgraded' && c.distance === 1), JSON.stringify(changes));
    const result = await db().selectFrom('results as r').innerJoin('testcases as t', 't.id', 'r.testcase_id').innerJoin('result_data as d', 'd.result_id', 'r.id')
      .select(['r.outcome', 'r.note']).where('t.name', '=', 'ripple.scratch-build').where('d.key', '=', 'build_id').where('d.value', '=', String(qux.id))
      .executeTakeFirstOrThrow();
    assert.is(result.outcome, 'FAILED');
    assert.match(result.note!, /regression after \d+ dependency change/);
    const finished = (await readEvents(db(), { afterId: 0, limit: 10_000, types: ['build.finished'] })).find((e) => e.payload.build_id === qux.id)!;
    assert.ok((finished.payload.dependency_changes as { name: string }[]).some((c) => c.name === 'libbar-devel'));
  });

  it.run();
}
