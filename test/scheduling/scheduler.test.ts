/**
 * The scheduler tick on the rpm fixture distribution ingested by the real pipeline: why packages
 * are not scheduled, dependency changes making dependents due, the global cap, fairness across
 * collections, OBS blocking and the rebuild policy hook.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { evaluateCandidate, loadCandidates, rankCandidates } from '../../src/scheduling/candidates.ts';
import { whyNotScheduled } from '../../src/scheduling/package-schedule.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { addBuilder, fixtureCollection, moveTo, packageId, testSettings } from './scheduling-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`scheduler (${backend.name})`);
  let database: Database;
  let repos: FixtureRepositories;
  const settings = testSettings();

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    await fixtureCollection(database.db, 'alpha', repos.v1);
    await fixtureCollection(database.db, 'beta', repos.v1);
    await addBuilder(database.db, 'sim-1', 100);
  });
  it.after(async () => database.close());

  const db = () => database.db;
  const why = (collection: string, name: string) => whyNotScheduled(db(), collection, name, settings.priority);
  const setFlags = (collection: string, names: string[], values: Record<string, unknown>) => db().updateTable('packages').set(values)
    .where('name', 'in', names).where('collection_id', '=', (eb) => eb.selectFrom('collections').select('id').where('name', '=', collection)).execute();
  // Marks every active build passed (its dependency changes are then applied) and clears manual priorities.
  const clearBuilds = async () => {
    await db().updateTable('builds').set({ state: 'succeeded', outcome: 'passed', finished_at: new Date() }).where('state', 'in', ['queued', 'running']).execute();
    await db().updateTable('packages').set({ manual_priority: 0 }).execute();
  };

  it('a fresh collection: nothing is due, and each package says why', async () => {
    const tick = await schedulerTick(db(), settings);
    assert.equal(tick.queued, []);
    assert.equal(await why('alpha', 'foo'), ['priority -30 below threshold 256']);
    assert.equal(await why('alpha', 'nosuch'), ['unresolved since snapshot 1', 'priority -30 below threshold 256']);
    await setFlags('alpha', ['foo'], { blocked: true });
    await setFlags('alpha', ['qux'], { tracked: false });
    await setFlags('alpha', ['relops'], { snooze_until: new Date('2999-01-01T00:00:00Z') });
    assert.equal((await why('alpha', 'foo'))[0], 'blocked');
    assert.equal((await why('alpha', 'qux'))[0], 'untracked');
    assert.equal((await why('alpha', 'relops'))[0], 'snoozed until 2999-01-01T00:00:00.000Z');
    await db().updateTable('collections').set({ paused: true }).where('name', '=', 'beta').execute();
    assert.equal((await why('beta', 'foo'))[0], 'collection paused');
    await setFlags('alpha', ['foo', 'qux', 'relops'], { blocked: false, tracked: true, snooze_until: null });
    await db().updateTable('collections').set({ paused: false }).where('name', '=', 'beta').execute();
  });

  it('manual priority: queued with a build.queued event, then reset; a queued build is a reason', async () => {
    await setFlags('alpha', ['foo'], { manual_priority: 3000 });
    const tick = await schedulerTick(db(), settings);
    assert.equal(tick.queued.map((b) => `${b.collection}/${b.package}`), ['alpha/foo']);
    assert.is(tick.queued[0]!.reason.kind, 'manual');
    const foo = await db().selectFrom('packages').select('manual_priority').where('id', '=', await packageId(db(), 'alpha', 'foo')).executeTakeFirstOrThrow();
    assert.is(foo.manual_priority, 0);
    assert.match((await why('alpha', 'foo'))[0]!, /^a build is queued \(build \d+\)$/);
    const events = await readEvents(db(), { afterId: 0, limit: 1000, types: ['build.queued'] });
    assert.equal(events.map((e) => e.packageName), ['foo']);
    assert.equal((await schedulerTick(db(), settings)).queued, [], 'nothing else is due');
    await clearBuilds();
  });

  it('a library bump: its dependents become due through their dependency changes', async () => {
    await moveTo(db(), 'alpha', repos.v2);
    const due = (await schedulerTick(db(), settings)).queued.filter((b) => b.collection === 'alpha');
    const names = due.map((b) => b.package).sort();
    // bartender and qux build against libbar; foo, richdeps and site against the upgraded coreutils/httpd.
    for (const name of ['bartender', 'foo', 'qux', 'richdeps', 'site']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    assert.not.ok(names.includes('baz'), 'baz became unresolvable');
    const qux = due.find((b) => b.package === 'qux')!;
    assert.is(qux.reason.kind, 'dependency-change');
    assert.ok((qux.reason.changes as { name: string }[]).some((c) => c.name.startsWith('libbar')), JSON.stringify(qux.reason));
    assert.ok(qux.priority >= 256);
    await clearBuilds();
  });

  it('the global cap holds, and fairness gives every collection slots', async () => {
    // alpha's packages all outrank beta's: strict priority order would starve beta.
    await setFlags('alpha', ['bartender', 'foo', 'migrate', 'relops', 'richdeps', 'site', 'weakling'], { manual_priority: 5000 });
    await setFlags('beta', ['bartender', 'foo', 'migrate', 'relops'], { manual_priority: 300 });
    const tick = await schedulerTick(db(), testSettings({ maxConcurrentBuilds: 4 }));
    assert.is(tick.queued.length, 4);
    assert.equal(tick.queued.map((b) => b.collection).sort(), ['alpha', 'alpha', 'beta', 'beta']);
    assert.equal((await schedulerTick(db(), testSettings({ maxConcurrentBuilds: 4 }))).queued, [], 'the cap counts queued builds');
    const more = await schedulerTick(db(), testSettings({ maxConcurrentBuilds: 6 }));
    assert.is(more.queued.length, 2);
    await clearBuilds();
  });

  it('backend capacity: no live builder, no builds', async () => {
    await setFlags('beta', ['foo'], { manual_priority: 3000 });
    await db().updateTable('builders').set({ draining: true }).execute();
    const tick = await schedulerTick(db(), settings);
    await db().updateTable('builders').set({ draining: false }).execute();
    assert.equal(tick.queued, []);
    assert.equal(tick.skipped, [{ collection: 'beta', package: 'foo', reason: 'backend simulation has no free capacity' }]);
    await clearBuilds();
  });

  it('blocking: a package waits while something it build-depends on is queued', async () => {
    // In v1 baz build-requires qux-devel, qux build-requires libbar-devel.
    await setFlags('beta', ['qux', 'baz'], { manual_priority: 3000 });
    const tick = await schedulerTick(db(), settings);
    assert.equal(tick.queued.map((b) => b.package), ['qux']);
    assert.equal(tick.skipped, [{ collection: 'beta', package: 'baz', reason: 'blocked by build of qux (build-dependency)' }]);
    assert.equal(await why('beta', 'baz'), ['blocked by build of qux (build-dependency)']);
    await clearBuilds();
    await setFlags('beta', ['baz'], { manual_priority: 3000 });
    assert.equal((await schedulerTick(db(), settings)).queued.map((b) => b.package), ['baz'], 'unblocked once qux finished');
    await clearBuilds();
  });

  it('rebuild policy: a refusing policy keeps dependents of a changed dependency unqueued', async () => {
    await moveTo(db(), 'beta', repos.v2);
    const tick = await schedulerTick(db(), testSettings({ policy: async (_db, change) => ({ allowed: false, reason: `gating of ${change.names[0]!} failed` }) }));
    assert.equal(tick.queued, []);
    assert.ok(tick.skipped.some((s) => s.package === 'qux' && /^gating of libbar/.test(s.reason)), JSON.stringify(tick.skipped));
    await clearBuilds();
  });

  it('the tick ranks every package as the full rows do, and the package row follows its last finished build', async () => {
    const qux = await packageId(db(), 'beta', 'qux');
    const lastBuild = () => db().selectFrom('packages').select(['last_build_id', 'last_build_outcome', 'last_build_snapshot_id']).where('id', '=', qux).executeTakeFirstOrThrow();
    const before = await lastBuild();
    const { id: snapshotId } = await db().selectFrom('snapshots as s').innerJoin('collections as c', 'c.id', 's.collection_id').select('s.id')
      .where('c.name', '=', 'beta').orderBy('s.sequence').limit(1).executeTakeFirstOrThrow();
    // A regression before beta's update to v2 (failed-build priority, and retry for the changes since),
    // flags of every kind, unapplied changes: the ranks must match evaluateCandidate's.
    const failed = await db().insertInto('builds').values({
      package_id: qux, snapshot_id: snapshotId, backend: 'simulation', state: 'failed', outcome: 'regression', priority: 0, finished_at: new Date(Date.now() - 3_600_000),
    }).returning('id').executeTakeFirstOrThrow();
    assert.equal(await lastBuild(), { last_build_id: failed.id, last_build_outcome: 'regression', last_build_snapshot_id: snapshotId });
    await setFlags('beta', ['foo'], { static_priority: 200 });
    await setFlags('alpha', ['site'], { manual_priority: 100 });
    await setFlags('beta', ['relops'], { snooze_until: new Date('2999-01-01T00:00:00Z') });
    await setFlags('alpha', ['bartender'], { blocked: true });
    const ids = (await db().selectFrom('packages').select('id').execute()).map((p) => p.id);
    const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
    for (const days of [0, 3, 30]) {
      const now = new Date(Date.now() + days * 86_400_000);
      const full = (await loadCandidates(db(), ids)).map((row) => evaluateCandidate(row, settings.priority, now));
      const expected = full.filter((c) => c.reasons.length === 0).map((c) => ({ id: c.row.id, collection_id: c.row.collection_id, name: c.row.name, rank: c.rank }));
      assert.equal((await rankCandidates(db(), settings.priority, now)).sort(byId), expected.sort(byId), `${days} days on`);
      if (days === 0) assert.ok(expected.some((c) => c.id === qux), 'the regression with changes is due');
    }
    await db().deleteFrom('builds').where('id', '=', failed.id).execute();
    assert.equal(await lastBuild(), before, 'back to the build before');
    await setFlags('beta', ['foo', 'relops'], { static_priority: 0, snooze_until: null });
    await setFlags('alpha', ['site', 'bartender'], { manual_priority: 0, blocked: false });
  });

  it.run();
}
