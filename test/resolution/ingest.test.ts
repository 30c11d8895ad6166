/**
 * The ingest pipeline end to end on the rpm fixture distribution (built by rpmbuild and
 * createrepo_c): v1 -> v2 is a library bump that breaks baz and fixes newthing.
 */
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createApp } from '../../src/http/app.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';

const SOURCES = ['bartender', 'baz', 'clash', 'foo', 'legacy', 'migrate', 'newthing', 'nosuch', 'qux', 'relops', 'richdeps', 'site', 'weakling', 'zap'];

for (const backend of databaseBackends()) {
  const it = suite(`ingest (${backend.name})`);
  let database: Database;
  let repos: FixtureRepositories;
  let collectionId: number;

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    const row = await database.db.insertInto('collections').values({
      name: 'fixture', display_name: 'Fixture', format: 'rpm-md',
      sources: JSON.stringify([{ url: repos.v1 }]), architectures: ['x86_64'],
      base_buildroot: JSON.stringify({ group: 'build' }),
    }).returning('id').executeTakeFirstOrThrow();
    collectionId = row.id;
    await database.db.insertInto('packages').values(SOURCES.map((name) => ({ collection_id: collectionId, name }))).execute();
    await database.db.insertInto('package_groups').values({ name: 'libbar-users' }).execute();
    const group = await database.db.selectFrom('package_groups').select('id').executeTakeFirstOrThrow();
    await database.db.insertInto('package_group_members').values({ group_id: group.id, package_name: 'baz' }).execute();
  });
  it.after(async () => database.close());

  const packages = async () => Object.fromEntries((await database.db.selectFrom('packages').select(['name', 'state', 'resolved']).execute()).map((p) => [p.name, p]));
  const ingest = (force = false) => ingestCollection(database.db, 'fixture', { instance: 'test', threads: 1, force });

  it('first snapshot: resolves every tracked source and records states and events', async () => {
    const outcome = await ingest();
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    if (outcome.status !== 'ingested') return;
    assert.is(outcome.sequence, 1);
    assert.ok(outcome.baseResolved);
    const p = await packages();
    assert.is(p.baz!.resolved, true);
    assert.is(p.foo!.state, 'unknown');
    for (const broken of ['nosuch', 'clash', 'newthing']) assert.is(p[broken]!.state, 'unresolved', broken);
    assert.is(p.zap!.state, 'unresolved', 'zap is not in v1');
    const nosuch = await database.db.selectFrom('resolutions as r').innerJoin('packages as p', 'p.id', 'r.package_id')
      .select('r.problems').where('p.name', '=', 'nosuch').executeTakeFirstOrThrow();
    assert.match(JSON.stringify(nosuch.problems), /nothing provides requested libmissing-devel >= 1\.0/);
    const events = await readEvents(database.db, { afterId: 0, limit: 100 });
    assert.equal(events.filter((e) => e.type === 'package.state.change').map((e) => e.packageName).sort(), ['clash', 'newthing', 'nosuch', 'zap']);
    assert.is(events.at(-1)!.type, 'snapshot.ingested');
    const collection = await database.db.selectFrom('collections').selectAll().where('id', '=', collectionId).executeTakeFirstOrThrow();
    assert.is(collection.state, 'ok');
  });

  it('unchanged repositories: nothing new is stored', async () => {
    const before = await readEvents(database.db, { afterId: 0, limit: 1000 });
    const outcome = await ingest();
    assert.is(outcome.status, 'unchanged');
    assert.is((await readEvents(database.db, { afterId: 0, limit: 1000 })).length, before.length);
  });

  it('forced re-ingest of the same repositories: incremental resolution solves only the unresolved sources', async () => {
    const last = (await readEvents(database.db, { afterId: 0, limit: 1000 })).at(-1)!.id;
    const outcome = await ingest(true);
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    if (outcome.status !== 'ingested') return;
    assert.is(outcome.fullReason, null);
    assert.is(outcome.solved, 3, 'nosuch, clash and newthing are solved again; the rest carry over');
    assert.is(outcome.changed, 0);
    assert.equal((await readEvents(database.db, { afterId: last, limit: 100 })).map((e) => e.type), ['snapshot.ingested']);
  });

  it('v1 -> v2: baz becomes unresolvable with its root cause, newthing resolvable, dependency changes recorded', async () => {
    const last = (await readEvents(database.db, { afterId: 0, limit: 1000 })).at(-1)!.id;
    await database.db.updateTable('collections').set({ sources: JSON.stringify([{ url: repos.v2 }]) }).where('id', '=', collectionId).execute();
    const outcome = await ingest();
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    const p = await packages();
    assert.is(p.baz!.state, 'unresolved');
    assert.is(p.newthing!.resolved, true);
    assert.is(p.newthing!.state, 'unknown');
    assert.is(p.legacy!.state, 'unresolved', 'legacy left the repository');

    const events = await readEvents(database.db, { afterId: last, limit: 1000 });
    const baz = events.find((e) => e.type === 'package.buildability.change' && e.packageName === 'baz')!;
    assert.ok(baz, 'buildability event for baz');
    const rootCause = baz.payload.root_cause as { summary: string; causes: { name: string; kind: string; lostProvides: string[] }[] };
    assert.match(rootCause.summary, /^baz became unresolvable because /);
    const libbar = rootCause.causes.find((c) => c.name === 'libbar');
    assert.ok(libbar, rootCause.summary);
    assert.is(libbar!.kind, 'replaced');
    assert.equal(libbar!.lostProvides, ['libbar.so.1()(64bit)']);
    assert.match(rootCause.summary, /libbar 2\.0-1 replaced libbar 1\.9-3/);
    const state = events.find((e) => e.type === 'package.state.change' && e.packageName === 'baz')!;
    assert.equal(state.payload.groups, ['global/libbar-users']);
    assert.is(state.payload.old, 'unknown');
    assert.is(state.payload.new, 'unresolved');

    const changes = await database.db.selectFrom('package_dependency_changes as d').innerJoin('packages as p', 'p.id', 'd.package_id')
      .innerJoin('binary_packages as c', 'c.id', 'd.current_binary_package_id')
      .select(['p.name as package', 'd.dependency_name', 'd.kind', 'c.version']).where('d.dependency_name', '=', 'coreutils').execute();
    assert.ok(changes.length >= 5, 'every resolved package saw coreutils move');
    assert.ok(changes.every((c) => c.kind === 'upgraded' && c.version === '9.3'));
    // coreutils is in the base buildroot: packages whose only change is its move share one stored set.
    const sets = await database.db.selectFrom('resolutions as r').innerJoin('packages as p', 'p.id', 'r.package_id')
      .innerJoin('dependency_change_set_members as m', 'm.set_id', 'r.change_set_id')
      .select(['r.change_set_id', (eb) => eb.fn.count<number>('m.dependency_name').as('size')])
      .where('p.name', 'in', changes.map((c) => c.package)).where('r.snapshot_id', '=', sql<number>`(select max(id) from snapshots)`)
      .groupBy('r.change_set_id').execute();
    assert.ok(sets.length < changes.length, `${changes.length} packages, ${sets.length} sets`);
    assert.equal(await database.db.selectFrom('dependency_changes').select('package_id').where('dependency_name', '=', 'coreutils').execute(), []);
    // ... and every reader still sees it per package: detail, affected-by, the scheduler's distances.
    const app = createApp({ db: database.db, config: loadConfig({}) });
    const detail = await (await app.request(`/api/collections/fixture/packages/${changes[0]!.package}`)).json() as
      { dependencyChanges: { previousResolution: { dependency: string; kind: string; distance: number | null; current: { version: string } }[] } };
    assert.ok(detail.dependencyChanges.previousResolution.some((c) => c.dependency === 'coreutils' && c.kind === 'upgraded' && c.distance === null && c.current.version === '9.3'));
    const affected = await (await app.request('/api/collections/fixture/affected-by/coreutils')).json() as { items: { package: string }[] };
    assert.equal(affected.items.map((i) => i.package).sort(), changes.map((c) => c.package).sort());
    const distances = await database.db.selectFrom('packages').select('unapplied_change_distances').where('name', 'in', changes.map((c) => c.package)).execute();
    assert.ok(distances.every((d) => d.unapplied_change_distances?.includes(null as unknown as number)), 'the base change counts as a change of unknown distance');
  });

  it('snapshot history and the diff between any two snapshots, over the API', async () => {
    const app = createApp({ db: database.db, config: loadConfig({}) });
    const history = await (await app.request('/api/collections/fixture/snapshots')).json() as { sequence: number; state: string; solved: number }[];
    assert.equal(history.map((h) => [h.sequence, h.state]), [[3, 'active'], [2, 'superseded'], [1, 'superseded']]);
    const response = await app.request('/api/collections/fixture/snapshots/1/diff/3');
    assert.is(response.status, 200);
    const diff = await response.json() as { binaries: { replaced: number }; packages: { package: string; rootCause: { summary: string } | null }[] };
    assert.ok(diff.binaries.replaced >= 3);
    assert.equal(diff.packages.map((p) => p.package), ['baz', 'legacy', 'newthing', 'zap']);
    assert.match(diff.packages.find((p) => p.package === 'baz')!.rootCause!.summary, /libbar 2\.0-1 replaced libbar 1\.9-3/);
    assert.match(diff.packages.find((p) => p.package === "newthing")!.rootCause!.summary, /^newthing became resolvable because libbar-devel 2\.0-1 replaced libbar-devel 1\.9-3 \(now provides pkgconfig\(bar\) = 2\.0/);
    assert.is((await app.request('/api/collections/fixture/snapshots/1/diff/99')).status, 404);
    assert.is((await app.request('/api/collections/fixture/snapshots/1/diff/x')).status, 400);
  });

  it('a repository that cannot be read leaves the previous snapshot active and the error on the collection', async () => {
    const before = await database.db.selectFrom('collections').select('current_snapshot_id').where('id', '=', collectionId).executeTakeFirstOrThrow();
    await database.db.updateTable('collections').set({ sources: JSON.stringify([{ url: '/nonexistent/repo' }]) }).where('id', '=', collectionId).execute();
    const outcome = await ingest();
    assert.is(outcome.status, 'failed');
    const after = await database.db.selectFrom('collections').selectAll().where('id', '=', collectionId).executeTakeFirstOrThrow();
    assert.is(after.current_snapshot_id, before.current_snapshot_id);
    assert.match(after.last_error ?? '', /nonexistent/);
    assert.is((await packages()).baz!.state, 'unresolved');
  });

  it('two ingests racing: one stores a snapshot, the other is told it is busy or that nothing changed', async () => {
    await database.db.updateTable('collections').set({ sources: JSON.stringify([{ url: repos.v1 }, { url: repos.updates }]) }).where('id', '=', collectionId).execute();
    const outcomes = await Promise.all([ingest(), ingest()]);
    const statuses = outcomes.map((o) => o.status).sort();
    assert.ok(statuses.includes('ingested'), statuses.join());
    assert.ok(statuses.filter((s) => s === 'ingested').length === 1, statuses.join());
    const active = await database.db.selectFrom('snapshots').select('sequence').where('collection_id', '=', collectionId).where('state', '=', 'active').execute();
    assert.is(active.length, 1);
  });

  it.run();
}
