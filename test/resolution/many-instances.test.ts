/**
 * Two service processes on one PostgreSQL: started at the same moment on the same regeneration,
 * exactly one of them stores the snapshot; the other is told the collection is busy or unchanged.
 * Nothing is lost: every state change appears once in the log, whichever process wrote it.
 *
 * Needs real PostgreSQL (two processes cannot share the embedded database): DATABASE_URL, or this
 * machine kind's local server.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readEvents } from '../../src/events/event-log.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { postgresBackend } from '../helpers/database.ts';

const backend = postgresBackend(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

test('two processes racing on the same regenerations store each snapshot once', async () => {
  const repos = await fixtureRepositories();
  const database = await backend.open();
  try {
    const { db } = database;
    const { id } = await db.insertInto('collections').values({
      name: 'fixture', display_name: 'Fixture', format: 'rpm-md', sources: JSON.stringify([{ url: repos.v1 }]),
      architectures: ['x86_64'], base_buildroot: JSON.stringify({ group: 'build' }),
    }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('packages').values(['baz', 'foo', 'newthing', 'nosuch', 'qux'].map((name) => ({ collection_id: id, name }))).execute();

    const regenerate = () => promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', 'regenerate', 'fixture', '--now'], {
      env: { ...process.env, DATABASE_URL: database.url!, RIPPLE_RESOLVER_THREADS: '1', RIPPLE_LOG_LEVEL: 'warn' },
    }).then((r) => ({ code: 0, out: r.stdout }), (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }));

    for (const [round, sources] of [[1, [repos.v1]], [2, [repos.v2]]] as const) {
      await db.updateTable('collections').set({ sources: JSON.stringify(sources.map((url) => ({ url }))) }).where('id', '=', id).execute();
      const outcomes = await Promise.all([regenerate(), regenerate()]);
      const ingested = outcomes.filter((o) => /snapshot \d+ ingested/.test(o.out));
      assert.is(ingested.length, 1, `round ${round}: ${outcomes.map((o) => o.out).join(' / ')}`);
      const other = outcomes.find((o) => o !== ingested[0])!;
      assert.match(other.out, /another instance .* is ingesting it right now|repositories unchanged/, `round ${round}: ${other.out}`);
      const snapshots = await db.selectFrom('snapshots').select(['sequence', 'state']).where('collection_id', '=', id).orderBy('sequence').execute();
      assert.equal(snapshots.filter((s) => s.state !== 'failed').map((s) => s.sequence), round === 1 ? [1] : [1, 2], `round ${round}`);
    }
    const events = await readEvents(db, { afterId: 0, limit: 1000 });
    assert.is(events.filter((e) => e.type === 'snapshot.ingested').length, 2);
    const bazStates = events.filter((e) => e.type === 'package.state.change' && e.packageName === 'baz').map((e) => e.payload.new);
    assert.equal(bazStates, ['unresolved'], 'baz broke once, and only once in the log');
  } finally {
    await database.close();
  }
});

test.run();
