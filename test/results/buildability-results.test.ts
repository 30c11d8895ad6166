/**
 * `ripple.buildability` results from the ingest pipeline (rpm fixture: v1 -> v2 breaks baz and
 * fixes newthing): one result per package on its first resolution and on each change, none for
 * unchanged packages, and decisions under the default policies follow them. Then a bulk of
 * packages larger than one insert statement's chunk.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { withTransaction } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { makeDecision, parseDecisionRequest } from '../../src/gating/decision.ts';
import { loadPolicyDirectory } from '../../src/gating/policies.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { buildabilityTestcase, recordBuildabilityResults } from '../../src/results/buildability-results.ts';
import { latestResults, listResults } from '../../src/results/queries.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';

const SOURCES = ['baz', 'foo', 'newthing', 'nosuch', 'qux'];

for (const backend of databaseBackends()) {
  const it = suite(`buildability results (${backend.name})`);
  let database: Database;
  let repos: FixtureRepositories;
  const policies = loadPolicyDirectory('policies');

  it.before(async () => {
    repos = await fixtureRepositories();
    database = await backend.open();
    const { id } = await database.db.insertInto('collections').values({
      name: 'fixture', display_name: 'Fixture', format: 'rpm-md', sources: JSON.stringify([{ url: repos.v1 }]),
      architectures: ['x86_64'], base_buildroot: JSON.stringify({ group: 'build' }),
    }).returning('id').executeTakeFirstOrThrow();
    await database.db.insertInto('packages').values(SOURCES.map((name) => ({ collection_id: id, name }))).execute();
  });
  it.after(async () => database.close());

  const ingest = (force = false) => ingestCollection(database.db, 'fixture', { instance: 'test', threads: 1, force });
  const buildability = async () => Object.fromEntries((await latestResults(database.db, { testcases: [buildabilityTestcase], data: [{ key: 'type', values: ['ripple_package'], like: false }] }, ['item']))
    .map((r) => [r.data.item![0], r]));
  const count = async () => (await listResults(database.db, { testcases: [buildabilityTestcase] }, { offset: 0, limit: 1000, sort: 'desc:submit_time' })).length;
  const decide = (pkg: string) => makeDecision(database.db, policies, parseDecisionRequest({
    product_version: 'fixture', decision_context: 'ripple_buildable', subject_type: 'ripple_package', subject_identifier: `fixture/${pkg}`,
  }));

  it('the first resolution records one result per package, with its data', async () => {
    const outcome = await ingest();
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    const latest = await buildability();
    assert.equal(Object.keys(latest).sort(), SOURCES.map((s) => `fixture/${s}`));
    assert.is(await count(), SOURCES.length);
    const baz = latest['fixture/baz']!;
    assert.is(baz.outcome, 'PASSED');
    assert.equal(baz.data, {
      collection: ['fixture'], item: ['fixture/baz'], package: ['baz'], previous: ['none'], problems: ['0'],
      snapshot: ['1'], snapshot_id: [baz.data.snapshot_id![0]!], type: ['ripple_package'],
    });
    assert.is(baz.ref_url, '/api/collections/fixture/packages/baz');
    const nosuch = latest['fixture/nosuch']!;
    assert.is(nosuch.outcome, 'FAILED');
    assert.match(nosuch.note!, /nothing provides requested libmissing-devel/);
    assert.is((await decide('baz')).policies_satisfied, true);
    assert.is((await decide('nosuch')).policies_satisfied, false);
    const events = await readEvents(database.db, { afterId: 0, limit: 1000, types: ['result.new', 'decision.update'] });
    assert.is(events.filter((e) => e.type === 'result.new').length, SOURCES.length);
    const update = events.find((e) => e.type === 'decision.update' && (e.payload as any).subject.item === 'fixture/baz'
      && (e.payload as any).decision_context === 'ripple_buildable')!;
    assert.equal([(update.payload as any).previous.unsatisfied_requirements[0].type, (update.payload as any).decision.policies_satisfied], ['test-result-missing', true]);
  });

  it('a re-resolution without buildability changes records nothing', async () => {
    const outcome = await ingest(true);
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    assert.is(await count(), SOURCES.length);
  });

  it('v1 -> v2: results for the packages that broke or recovered only, and decisions follow', async () => {
    const last = (await readEvents(database.db, { afterId: 0, limit: 10_000 })).at(-1)!.id;
    await database.db.updateTable('collections').set({ sources: JSON.stringify([{ url: repos.v2 }]) }).where('name', '=', 'fixture').execute();
    const outcome = await ingest();
    assert.is(outcome.status, 'ingested', JSON.stringify(outcome));
    const latest = await buildability();
    assert.equal([latest['fixture/baz']!.outcome, latest['fixture/baz']!.data.previous, latest['fixture/baz']!.data.snapshot], ['FAILED', ['resolved'], ['3']]);
    assert.equal([latest['fixture/newthing']!.outcome, latest['fixture/newthing']!.data.previous], ['PASSED', ['unresolved']]);
    assert.is(await count(), SOURCES.length + 2);
    const decision = await decide('baz');
    assert.equal([decision.policies_satisfied, decision.unsatisfied_requirements[0]!.type], [false, 'test-result-failed']);
    const events = await readEvents(database.db, { afterId: last, limit: 1000, types: ['result.new', 'decision.update'] });
    assert.equal([...new Set(events.map((e) => (e.payload as any).data?.item?.[0] ?? (e.payload as any).subject.item))].sort(), ['fixture/baz', 'fixture/newthing']);
  });

  it('thousands of packages in one transaction: chunked statements, one result each', async () => {
    const packages = Array.from({ length: 5_200 }, (_x, i) => ({ name: `bulk${i}`, resolved: i % 7 !== 0, previousResolved: null, problems: i % 7 ? [] : [{ sentences: ['nothing provides libx'] }] }));
    const rows = await withTransaction(database.db, (trx) => recordBuildabilityResults(trx, { collection: 'bulk', sequence: 1, snapshotId: 1 }, packages, policies));
    assert.is(rows.length, packages.length);
    assert.equal(rows.map((r) => r.data.package![0]), packages.map((p) => p.name));
    assert.equal(rows.map((r) => r.outcome), packages.map((p) => (p.resolved ? 'PASSED' : 'FAILED')));
    const again = await withTransaction(database.db, (trx) => recordBuildabilityResults(trx, { collection: 'bulk', sequence: 2, snapshotId: 2 },
      packages.map((p) => ({ ...p, previousResolved: p.resolved })), policies));
    assert.is(again.length, 0);
  });

  it.run();
}
