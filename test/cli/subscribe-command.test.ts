/**
 * `ripple subscribe` end to end: spawned CLI processes on an embedded database on disk. The user,
 * collection and group are set up in-process, as is the webhook follower that turns an event into
 * a delivery; the tests build on each other (add, list, deliveries, remove, errors).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addPackages, createCollection, createGroup } from '../../src/collections/service.ts';
import { openDatabase, withTransaction, type Db } from '../../src/db/database.ts';
import { appendEvents } from '../../src/events/event-log.ts';
import { createDeliveries } from '../../src/events/webhooks.ts';
import { createUser } from '../../src/users/service.ts';
import { projectRoot, rippleCommand, rippleEnv, seededDataDir } from './cli-fixture.ts';

let dataDir: string;

function ripple(...args: string[]) {
  const child = spawnSync(...rippleCommand('subscribe', ...args), { cwd: projectRoot, env: rippleEnv(dataDir), encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** Opens the embedded database in this process (no ripple process holds it between spawns). */
async function inProcess(work: (db: Db) => Promise<unknown>): Promise<void> {
  const database = await openDatabase({ dataDir, migrate: false });
  try {
    await work(database.db);
  } finally {
    await database.close();
  }
}

test.before(async () => {
  dataDir = await seededDataDir();
  await inProcess(async (db) => {
    await createUser(db, { name: 'alice' });
    await createCollection(db, { name: 'f40', format: 'debian', sources: [{ url: '/nonexistent/f40' }], baseBuildroot: { packages: ['build-essential'] } });
    await addPackages(db, 'f40', ['baz', 'qux']);
    await createGroup(db, null, { namespace: 'alice', name: 'tools', packages: ['baz'] });
    await createDeliveries(db); // starts the webhook follower's cursor at the current end of the log
  });
});

test.after(() => rmSync(dataDir, { recursive: true, force: true }));

test('add to a group with a webhook and to a package; list both', () => {
  const group = ripple('add', '--user', 'alice', '--group', 'alice/tools', '--types', 'package.*,build.finished', '--webhook', 'http://127.0.0.1:9/hook', '--secret', 'a-secret-of-16-chars');
  assert.is(group.code, 0, group.stderr);
  assert.match(group.stdout, /^created subscription 1: alice -> group alice\/tools \(types package\.\*, build\.finished\), webhook http:\/\/127\.0\.0\.1:9\/hook$/m);
  const pkg = ripple('add', '--user', 'alice', '--package', 'f40/qux');
  assert.is(pkg.code, 0, pkg.stderr);
  assert.match(pkg.stdout, /created subscription 2: alice -> package qux$/m);
  const list = ripple('list', '--user', 'alice');
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, /^\s*1\s+group alice\/tools\s+package\.\*, build\.finished\s+http:\/\/127\.0\.0\.1:9\/hook\s+\d{4}-/m);
  assert.match(list.stdout, /^\s*2\s+package qux\s+all\s+\d{4}-/m);
  assert.not.match(list.stdout, /a-secret-of-16-chars/);
});

test('deliveries of a webhook subscription, filtered by status', async () => {
  await inProcess(async (db) => {
    await withTransaction(db, (trx) => appendEvents(trx, [
      { type: 'package.change', packageName: 'baz', payload: { collection: 'f40', changes: { tracked: { old: false, new: true } } } },
      { type: 'group.change', packageName: 'baz', payload: { action: 'updated', group: 'alice/tools' } }, // not in --types
    ]));
    await createDeliveries(db);
  });
  const pending = ripple('deliveries', '1');
  assert.is(pending.code, 0, pending.stderr);
  assert.match(pending.stdout, /^\s*\d+\s+package\.change\s+pending\s+0\s+\d{4}-/m);
  assert.is(pending.stdout.trim().split('\n').length, 3, pending.stdout); // header, rule, one delivery
  assert.match(ripple('deliveries', '1', '--status', 'delivered').stdout, /no delivered deliveries for subscription 1/);
});

test('remove; removing it again exits 1 naming it', () => {
  const removed = ripple('remove', '2');
  assert.is(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /removed subscription 2/);
  const again = ripple('remove', '2');
  assert.is(again.code, 1);
  assert.match(again.stderr, /^ripple subscribe: subscription '2' does not exist/);
});

test('usage errors exit 2 with the help; an unknown user exits 1 naming it', () => {
  const both = ripple('add', '--user', 'alice', '--group', 'alice/tools', '--package', 'f40/baz');
  assert.is(both.code, 2);
  assert.match(both.stderr, /ripple subscribe add: --group and --package exclude each other/);
  assert.match(both.stderr, /usage: ripple subscribe add/);
  const unknown = ripple('add', '--user', 'nobody', '--group', 'alice/tools');
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^ripple subscribe: user 'nobody' does not exist/);
});

test.run();
