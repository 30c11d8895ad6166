/**
 * Group commit of POST /results: concurrent posts share transactions, yet each gets its own
 * answer, its own permission decision and its own events; a result the database refuses fails
 * alone.
 */
import { sql } from 'kysely';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents } from '../../src/events/event-log.ts';
import { addPermission } from '../../src/gating/permissions.ts';
import { resultBatcher } from '../../src/results/result-batcher.ts';
import { parseResultBody } from '../../src/results/service.ts';
import { authenticate } from '../../src/users/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openGatingFixture, type GatingFixture } from '../gating/gating-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`results group commit (${backend.name})`);
  let f: GatingFixture;
  it.before(async () => {
    f = await openGatingFixture(backend);
  });
  it.after(() => f.database.close());

  const body = (i: number) => ({
    testcase: i % 2 ? 'dist.rpmdeplint' : 'fedora-ci.koji-build.tier0.functional',
    outcome: i % 3 ? 'PASSED' : 'FAILED',
    note: `run ${i}`,
    data: { item: `pkg${i}-1.0-1.fc40`, type: 'koji_build', run: String(i) },
  });

  it('concurrent posts each get their own result, permission decision and events', async () => {
    await addPermission(f.database.db, { action: 'result', testcaseGlob: 'dist.*', scopes: ['ci'] });
    const mark = (await readEvents(f.database.db, { afterId: 0, limit: 100_000 })).at(-1)?.id ?? 0;
    const responses = await Promise.all(Array.from({ length: 60 }, (_x, i) => f.call('POST', '/api/v2.0/results', { token: f.tokens.ci, body: body(i) })));
    responses.forEach((response, i) => {
      if (i % 2 === 0) {
        // fedora-ci.* is granted to nobody: refused, whatever the others in its batch.
        assert.is(response.status, 403, response.text);
        return;
      }
      assert.is(response.status, 201, response.text);
      assert.equal([response.json.note, response.json.outcome, response.json.data.run], [`run ${i}`, i % 3 ? 'PASSED' : 'FAILED', [String(i)]]);
    });
    const stored = responses.filter((r) => r.status === 201);
    assert.is(new Set(stored.map((r) => r.json.id)).size, 30);
    // Fewer transactions than results: the posts were committed together (xmin is the writing transaction).
    const { rows } = await sql<{ transactions: number }>`select count(distinct xmin::text)::int as transactions from results
      where id in (${sql.join(stored.map((r) => r.json.id))})`.execute(f.database.db);
    assert.ok(rows[0]!.transactions < stored.length, `${rows[0]!.transactions} transactions`);
    for (const response of stored.slice(0, 5)) assert.equal((await f.call('GET', `/api/v2.0/results/${response.json.id}`)).json, response.json);
    const events = await readEvents(f.database.db, { afterId: mark, limit: 1000 });
    const news = events.filter((e) => e.type === 'result.new');
    assert.equal(news.map((e) => (e.payload as any).id).sort((a, b) => a - b), stored.map((r) => r.json.id).sort((a, b) => a - b));
    // dist.rpmdeplint is required at bodhi_update_push_stable: each subject's decision changed once.
    const updates = events.filter((e) => e.type === 'decision.update');
    assert.equal(updates.map((e) => (e.payload as any).subject.item).sort(), stored.map((r) => r.json.data.item[0]).sort());
    await f.database.db.deleteFrom('gating_permissions').execute();
  });

  it('a result the database refuses fails alone; the rest of its batch is stored', async () => {
    const auth = (await authenticate(f.database.db, f.tokens.ci))!;
    const batcher = resultBatcher(f.database.db, f.policiesDir);
    const good = Array.from({ length: 10 }, (_x, i) => parseResultBody(body(100 + i)));
    // Validation would refuse this key; the table's CHECK does too, inside a shared transaction.
    const bad = { ...parseResultBody(body(200)), data: { 'bad:key': ['x'] } };
    const outcomes = await Promise.allSettled([...good.slice(0, 5), bad, ...good.slice(5)].map((input) => batcher.submit(input, auth)));
    assert.equal(outcomes.map((o) => o.status), [...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
    const notes = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.note] : []));
    assert.equal(notes, good.map((g) => g.note));
    assert.match(String((outcomes[5] as PromiseRejectedResult).reason), /check constraint/);
  });

  it.run();
}
