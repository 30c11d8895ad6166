/**
 * Package search, detail, affected-by, reverse dependencies and diffs over rows inserted the way
 * the ingest pipeline writes them (snapshots, binary_packages, encoded buildroots, changes).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addPackages, createGroup } from '../../src/collections/service.ts';
import { encodeBuildroot } from '../../src/resolution/buildroot-codec.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, rpmCollection, type AppFixture } from '../http/app-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`packages (${backend.name})`);
  let f: AppFixture;
  const bin: Record<string, number> = {};

  it.before(async () => {
    f = await openAppFixture(backend);
    const db = f.database.db;
    for (const name of ['f40', 'f41']) await f.call('POST', '/api/collections', { token: f.tokens.admin, body: rpmCollection(name) });
    await addPackages(db, 'f40', ['bash', 'gcc', 'perl-Foo', 'perl-Bar', 'zsh']);
    await addPackages(db, 'f41', ['bash', 'gcc', 'perl-Foo']);
    const f40 = await db.selectFrom('collections').select('id').where('name', '=', 'f40').executeTakeFirstOrThrow();
    const s1 = await db.insertInto('snapshots').values({ collection_id: f40.id, sequence: 1, state: 'superseded' }).returning('id').executeTakeFirstOrThrow();
    const s2 = await db.insertInto('snapshots').values({ collection_id: f40.id, sequence: 2, state: 'active' }).returning('id').executeTakeFirstOrThrow();
    await db.updateTable('collections').set({ current_snapshot_id: s2.id }).where('id', '=', f40.id).execute();
    for (const [key, name, version, release] of [['glibc1', 'glibc', '2.38', '1.fc40'], ['glibc2', 'glibc', '2.39', '1.fc40'], ['make', 'make', '4.4', '1.fc40'], ['gcc', 'gcc', '14.1', '1.fc40'], ['perl', 'perl', '5.38', '2.fc40']]) {
      bin[key] = (await db.insertInto('binary_packages').values({ name, version, release, arch: 'x86_64', epoch: key === 'perl' ? 4 : 0 }).returning('id').executeTakeFirstOrThrow()).id;
    }
    const pkg = async (collection: number, name: string) => (await db.selectFrom('packages').select('id').where('collection_id', '=', collection).where('name', '=', name).executeTakeFirstOrThrow()).id;
    const bash = await pkg(f40.id, 'bash');
    const gcc = await pkg(f40.id, 'gcc');
    const perlFoo = await pkg(f40.id, 'perl-Foo');
    const resolve = async (packageId: number, snapshotId: number, members: { id: number; distance: number | null; base?: boolean }[] | null, problems: string[] = []) => {
      const row = await db.insertInto('resolutions').values({
        package_id: packageId, snapshot_id: snapshotId, resolved: members !== null, problems: JSON.stringify(problems),
        buildroot: members && encodeBuildroot(members.map((m) => ({ binaryId: m.id, distance: m.distance, base: m.base ?? false }))), buildroot_size: members?.length ?? null,
      }).returning('id').executeTakeFirstOrThrow();
      await db.updateTable('packages').set({ last_resolution_id: row.id, resolved: members !== null }).where('id', '=', packageId).execute();
    };
    await resolve(bash, s1.id, [{ id: bin.glibc1, distance: 2 }, { id: bin.make, distance: 1 }, { id: bin.gcc, distance: null, base: true }]);
    await resolve(bash, s2.id, [{ id: bin.glibc2, distance: 2 }, { id: bin.make, distance: 1 }, { id: bin.gcc, distance: null, base: true }]);
    await resolve(gcc, s2.id, [{ id: bin.glibc2, distance: 1 }, { id: bin.perl, distance: 3 }]);
    await resolve(perlFoo, s2.id, null, ['No package found for: perl(Bar)']);
    await db.insertInto('dependency_changes').values([
      { package_id: bash, snapshot_id: s2.id, baseline: 'previous_resolution', dependency_name: 'glibc', previous_binary_package_id: bin.glibc1, current_binary_package_id: bin.glibc2, kind: 'upgraded', distance: 2 },
      { package_id: bash, snapshot_id: s2.id, baseline: 'last_build', dependency_name: 'glibc', previous_binary_package_id: bin.glibc1, current_binary_package_id: bin.glibc2, kind: 'upgraded', distance: 2 },
      { package_id: gcc, snapshot_id: s2.id, baseline: 'previous_resolution', dependency_name: 'glibc', previous_binary_package_id: null, current_binary_package_id: bin.glibc2, kind: 'added', distance: 1 },
    ]).execute();
    await db.insertInto('package_state_changes').values({ package_id: bash, snapshot_id: s2.id, previous_state: 'ok', state: 'failing', reason: 'build failed' }).execute();
    await db.updateTable('packages').set({ state: 'failing', state_snapshot_id: s2.id }).where('id', '=', bash).execute();
    await db.updateTable('packages').set({ state: 'ok' }).where('id', 'in', [gcc]).execute();
    await db.updateTable('packages').set({ state: 'unresolved' }).where('id', '=', perlFoo).execute();
    await db.updateTable('packages').set({ manual_priority: 50 }).where('name', '=', 'zsh').execute();
    await createGroup(db, null, { namespace: 'global', name: 'perl', packages: ['perl-Foo', 'perl-Bar'] });
  });
  it.after(() => f.database.close());

  const names = (r: { json: any }) => r.json.items.map((i: any) => `${i.collection}/${i.name}`);

  it('filters by collection, state, group, wildcard name and resolved; pages with a total', async () => {
    assert.equal(names(await f.call('GET', '/api/packages?collection=f40&state=failing&state=unresolved')), ['f40/bash', 'f40/perl-Foo']);
    assert.equal(names(await f.call('GET', '/api/packages?name=perl-*')), ['f40/perl-Bar', 'f40/perl-Foo', 'f41/perl-Foo']);
    assert.equal(names(await f.call('GET', '/api/packages?name=*a*&collection=f41')), ['f41/bash']);
    assert.equal(names(await f.call('GET', '/api/packages?group=perl&collection=f40')), ['f40/perl-Bar', 'f40/perl-Foo']);
    assert.equal(names(await f.call('GET', '/api/packages?group=global/perl&resolved=false')), ['f40/perl-Foo']);
    assert.equal(names(await f.call('GET', '/api/packages?sort=priority&limit=1')), ['f40/zsh']);
    const page = await f.call('GET', '/api/packages?limit=3&page=2');
    assert.equal([page.json.total, page.json.page, page.json.limit], [8, 2, 3]);
    assert.equal(names(page), ['f41/gcc', 'f40/perl-Bar', 'f40/perl-Foo']);
    assert.is((await f.call('GET', '/api/packages?collection=nope')).status, 404);
    assert.is((await f.call('GET', '/api/packages?group=nobody/none')).status, 404);
    for (const [query, field] of [['limit=0', 'limit'], ['limit=abc', 'limit'], ['state=broken', 'state'], ['sort=size', 'sort'], ['resolved=maybe', 'resolved'], ['name=a%25b', 'name'], ['group=a/b/c', 'group']]) {
      const response = await f.call('GET', `/api/packages?${query}`);
      assert.is(response.status, 400, query);
      assert.is(response.json.details.field, field, query);
    }
  });

  it('package detail: decoded buildroot by distance, changes per baseline, histories', async () => {
    const detail = (await f.call('GET', '/api/collections/f40/packages/bash')).json;
    assert.is(detail.state, 'failing');
    assert.is(detail.stateSnapshotSequence, 2);
    assert.equal(detail.resolution.buildroot.map((m: any) => [m.nevra, m.distance, m.base]), [
      ['make-4.4-1.fc40.x86_64', 1, false], ['glibc-2.39-1.fc40.x86_64', 2, false], ['gcc-14.1-1.fc40.x86_64', null, true],
    ]);
    assert.equal(detail.dependencyChanges.previousResolution.map((c: any) => [c.dependency, c.kind, c.previous.evr, c.current.evr]), [['glibc', 'upgraded', '2.38-1.fc40', '2.39-1.fc40']]);
    assert.is(detail.dependencyChanges.lastBuild.length, 1);
    assert.equal(detail.resolutionHistory.map((r: any) => r.snapshotSequence), [2, 1]);
    assert.equal(detail.stateHistory.map((s: any) => [s.previousState, s.state, s.snapshotSequence]), [['ok', 'failing', 2]]);
    const unresolved = (await f.call('GET', '/api/collections/f40/packages/perl-Foo')).json;
    assert.equal(unresolved.resolution.problems, ['No package found for: perl(Bar)']);
    assert.equal(unresolved.groups, ['global/perl']);
    const gcc = (await f.call('GET', '/api/collections/f40/packages/gcc')).json;
    assert.is(gcc.resolution.buildroot[1].nevra, 'perl-4:5.38-2.fc40.x86_64');
    assert.is((await f.call('GET', '/api/collections/f40/packages/nope')).status, 404);
    assert.is((await f.call('GET', '/api/collections/nope/packages/bash')).json.code, 'not_found');
  });

  it('affected-by: moves across the range, with the next state change', async () => {
    const all = (await f.call('GET', '/api/collections/f40/affected-by/glibc')).json;
    assert.equal(all.items.map((i: any) => [i.package, i.kind, i.next?.state ?? null]), [['bash', 'upgraded', 'failing'], ['gcc', 'added', null]]);
    const ranged = (await f.call('GET', '/api/collections/f40/affected-by/glibc?from=2.38&to=2.39')).json;
    assert.equal(ranged.items.map((i: any) => i.package), ['bash', 'gcc']);
    assert.equal((await f.call('GET', '/api/collections/f40/affected-by/glibc?from=2.37')).json.items.map((i: any) => i.package), ['gcc']);
    assert.equal((await f.call('GET', '/api/collections/f40/affected-by/glibc?to=2.40')).json.items, []);
    assert.is((await f.call('GET', '/api/collections/f40/affected-by/glibc?from=$(x)')).json.details.field, 'from');
  });

  it('reverse dependencies from current buildroots, nearest first; cached per snapshot', async () => {
    const glibc = (await f.call('GET', '/api/collections/f40/reverse-dependencies/glibc')).json;
    assert.equal(glibc.items.map((i: any) => [i.package, i.distance, i.binary.evr]), [['gcc', 1, '2.39-1.fc40'], ['bash', 2, '2.39-1.fc40']]);
    assert.equal((await f.call('GET', '/api/collections/f40/reverse-dependencies/gcc')).json.items.map((i: any) => [i.package, i.base]), [['bash', true]]);
    assert.equal((await f.call('GET', '/api/collections/f40/reverse-dependencies/nothing')).json.items, []);
  });

  it('diff and the Koschei-compatible v1 API', async () => {
    const expected = [{ name: 'bash', state: { f40: 'failing', f41: 'unknown' } }, { name: 'gcc', state: { f40: 'ok', f41: 'unknown' } }, { name: 'perl-Foo', state: { f40: 'unresolved', f41: 'unknown' } }];
    assert.equal((await f.call('GET', '/api/v1/collections/diff/f40/f41')).json, expected);
    assert.equal((await f.call('GET', '/api/collections/diff/f40/f41')).json, { collections: ['f40', 'f41'], packages: expected });
    assert.is((await f.call('GET', '/api/v1/collections/diff/f40/nope')).status, 404);
    assert.equal((await f.call('GET', '/api/v1/packages?collection=f40&name=bash&name=gcc')).json, [
      { name: 'bash', collection: 'f40', state: 'failing', last_complete_build: null },
      { name: 'gcc', collection: 'f40', state: 'ok', last_complete_build: null },
    ]);
  });

  it.run();
}
