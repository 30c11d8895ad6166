/**
 * `ripple wave` end to end: spawned CLI processes on an embedded database on disk holding the rpm
 * fixture collection (ingested in-process); plan, show, start, pause, cancel, list and usage errors.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { fixtureCollection } from '../scheduling/scheduling-fixture.ts';
import { projectRoot, rippleCommand, rippleEnv, seededDataDir } from './cli-fixture.ts';

let dataDir: string;

function ripple(...args: string[]) {
  const child = spawnSync(...rippleCommand('wave', ...args), { cwd: projectRoot, env: rippleEnv(dataDir), encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

async function inProcess<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const database = await openDatabase({ dataDir, migrate: false });
  try {
    return await work(database.db);
  } finally {
    await database.close();
  }
}

test.before(async () => {
  dataDir = await seededDataDir();
  const repos = await fixtureRepositories();
  await inProcess((db) => fixtureCollection(db, 'fx', repos.v1));
});
test.after(() => rmSync(dataDir, { recursive: true, force: true }));

test('plan prints batches and the estimate; show, start, pause, cancel, list', () => {
  const plan = ripple('plan', 'fx', '--affected', 'qux-devel', '--by', 'alice');
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /wave 1 \(fx, snapshot 1\): planned/);
  assert.match(plan.stdout, /estimate: 2 builds in 2 batches, 1\.0 h of building, about 1\.0 h wall clock \(0 from build history, 2 at 30 min each without history\)/);
  assert.match(plan.stdout, /^ *1 {2}qux +pending/m);
  assert.match(plan.stdout, /^ *2 {2}baz +pending/m);
  assert.match(plan.stdout, /start it with: ripple wave start 1/);

  const json = JSON.parse(ripple('show', '1', '--json').stdout) as { nodes: { package: string; batch: number }[]; edges: unknown[] };
  assert.equal(json.nodes.map((n) => [n.package, n.batch]), [['qux', 0], ['baz', 1]]);
  assert.equal(json.edges, [{ from: 'qux', to: 'baz' }]);

  assert.match(ripple('start', '1').stdout, /wave 1 \(fx, snapshot 1\): running/);
  assert.match(ripple('pause', '1').stdout, /running|paused/);
  const again = ripple('pause', '1');
  assert.is(again.code, 1);
  assert.match(again.stderr, /cannot pause wave 1: it is paused/);
  assert.match(ripple('cancel', '1', '--by', 'bob').stdout, /: canceled[\s\S]*2 canceled/);
  const list = ripple('list', '--collection', 'fx');
  assert.match(list.stdout, /^ *1 {2}fx +canceled +affected qux-devel/m);
});

test('usage errors exit 2; unknown names exit 1 naming them', () => {
  const none = ripple('plan', 'fx');
  assert.is(none.code, 2);
  assert.match(none.stderr, /give --affected NAME, --group NS\/NAME or --packages a,b/);
  const both = ripple('plan', 'fx', '--affected', 'qux', '--group', 'g');
  assert.is(both.code, 2);
  assert.match(both.stderr, /--affected and --group exclude each other/);
  const unknown = ripple('plan', 'fx', '--packages', 'qux,nope');
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /'nope' is not a tracked package of collection fx/);
});

test.run();
