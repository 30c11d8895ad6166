/**
 * The koji backend against a protocol-level Koji hub stand-in (koji-hub-stand-in.ts: XML-RPC over
 * HTTP with a hub's answers, failing on any unexpected call), with the real database, scheduler,
 * build completion and API: login and submission arguments, polling to success and failure, logs
 * served, cancel, the hub down or answering badly (retried, never a package failure), restart
 * reconciliation, and capacity from the hosts' load.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cancelBuilds, reclaimExpired } from '../../src/builds/build-queue.ts';
import { KojiWorker, kojiWorkerFromConfig } from '../../src/builds/koji-backend.ts';
import { encodeCall, KojiClient, KojiKwargs, parseResponse } from '../../src/builds/koji-client.ts';
import { loadConfig } from '../../src/config.ts';
import { withTransaction, type Database } from '../../src/db/database.ts';
import { readEvents } from '../../src/events/event-log.ts';
import { createApp } from '../../src/http/app.ts';
import { schedulerTick } from '../../src/scheduling/scheduler.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { databaseBackends } from '../helpers/database.ts';
import { fixtureCollection, fixtureSources, testSettings } from '../scheduling/scheduling-fixture.ts';
import { KojiHubStandIn, TASK, type HubHost } from './koji-hub-stand-in.ts';

const collection = 'kojirpms';
const srpm = (name: string) => `../packages/${name}/1.0/1.fc40/src/${name}-1.0-1.fc40.src.rpm`;
// x86_64: capacity 20, load 1 + 0.5 + 4 (not ready counts full) = 5.5; 0.5 x 20 - 5.5 = 4.5 free = 3 builds of 1.5.
const hosts = (): HubHost[] => [
  { id: 1, name: 'buildvm-x86-01.example.org', arches: 'x86_64 i686', capacity: 8, task_load: 1, ready: true, enabled: true },
  { id: 2, name: 'buildvm-x86-02.example.org', arches: 'x86_64 i686', capacity: 8, task_load: 0.5, ready: true, enabled: true },
  { id: 3, name: 'buildvm-x86-03.example.org', arches: 'x86_64 i686', capacity: 4, task_load: 0, ready: false, enabled: true },
  { id: 4, name: 'buildvm-a64-01.example.org', arches: 'aarch64', capacity: 8, task_load: 8, ready: true, enabled: true },
];

for (const backend of databaseBackends()) {
  const it = suite(`koji backend (${backend.name})`);
  let database: Database;
  let hub: KojiHubStandIn;
  const logDir = mkdtempSync(join(tmpdir(), 'ripple-koji-logs-'));

  it.before(async () => {
    const repos = await fixtureRepositories();
    database = await backend.open();
    await fixtureCollection(database.db, collection, repos.v1, 'koji');
    await database.db.updateTable('collections').set({ build_target: 'f40-ripple' }).where('name', '=', collection).execute();
    hub = await KojiHubStandIn.start({
      user: 'ripple', password: 's3cret', targets: { 'f40-ripple': ['f40-build', 'f40'] },
      tagged: { f40: Object.fromEntries(fixtureSources.map((name) => [name, '1.0-1.fc40'])) }, hosts: hosts(),
    });
  });
  it.after(async () => {
    await hub?.close();
    await database?.close();
  });
  const started: KojiWorker[] = [];
  it.after.each(async () => {
    // A failed assertion must not leave a worker's timers running.
    await Promise.all(started.splice(0).map((w) => w.stop()));
    assert.equal(hub.unexpected, [], 'the hub stand-in saw unexpected calls');
    hub.down = false;
    hub.hosts = hosts();
    hub.volumes = {};
  });

  const worker = (name: string, leaseSeconds = 30, timeoutSeconds = 3600) => {
    const w = new KojiWorker(database.db, {
      name, arches: ['x86_64'], maxBuilds: 5, leaseSeconds, pollSeconds: 3600, timeoutSeconds, retry: { maxAttempts: 3, backoffSeconds: 0 }, logDir,
      koji: { srpmPathRoot: '..', channel: 'default', loadThreshold: 0.5, buildLoad: 1.5, taskPriority: 30 },
      client: new KojiClient({ hubUrl: hub.url, user: 'ripple', password: 's3cret', timeoutSeconds: 5 }),
    });
    started.push(w);
    return w;
  };
  /** Queues a koji build the way the scheduler does. */
  async function enqueue(name: string): Promise<number> {
    const p = await database.db.selectFrom('packages as p').innerJoin('collections as c', 'c.id', 'p.collection_id')
      .select(['p.id', 'c.current_snapshot_id']).where('c.name', '=', collection).where('p.name', '=', name).executeTakeFirstOrThrow();
    const row = await database.db.insertInto('builds').values({
      package_id: p.id, snapshot_id: p.current_snapshot_id!, backend: 'koji', arch: 'x86_64', priority: 3000, reason: JSON.stringify({ kind: 'manual' }),
    }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  }
  const build = (id: number) => database.db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const buildCallsFor = (name: string) => hub.callsOf('build').filter((c) => c.params[0] === srpm(name));
  const resultsFor = (name: string) => database.db.selectFrom('results as r').innerJoin('result_data as d', 'd.result_id', 'r.id')
    .innerJoin('testcases as t', 't.id', 'r.testcase_id').select('r.outcome')
    .where('t.name', '=', 'ripple.scratch-build').where('d.key', '=', 'item').where('d.value', '=', `${collection}/${name}`).execute();
  const capacityOf = async (name: string) => (await database.db.selectFrom('builders').select('capacity').where('name', '=', name).executeTakeFirstOrThrow()).capacity;

  it('logs in, submits a scratch build of the latest SRPM in the target tag, polls it to success; the logs are served by the builds API', async () => {
    const w = worker('koji-a');
    await w.start();
    const id = await enqueue('qux');
    const before = hub.calls.length;
    await w.tick();
    const row = await build(id);
    assert.is(row.state, 'running');
    assert.is(row.worker, 'koji-a');
    assert.ok(row.task_id! > 2 ** 31, 'task ids beyond 32 bits travel as i8');
    const methods = hub.calls.slice(before).map((c) => c.method);
    assert.equal(methods.filter((m) => !['multiCall', 'getChannel', 'listHosts'].includes(m)), ['getBuildTarget', 'getLatestBuilds', 'listRPMs', 'login', 'build']);
    assert.equal(hub.callsOf('getLatestBuilds').at(-1)!.params, ['f40', { package: 'qux', __starstar: true }]);
    assert.equal(hub.callsOf('listRPMs').at(-1)!.params, [{ buildID: (hub.callsOf('listRPMs').at(-1)!.params[0] as { buildID: number }).buildID, arches: 'src', __starstar: true }]);
    const [submitted] = buildCallsFor('qux');
    assert.equal(submitted!.params, [srpm('qux'), 'f40-ripple', { scratch: true }, 30]);
    assert.equal(hub.callsOf('login')[0]!.params, ['ripple', 's3cret']);
    assert.equal(submitted!.session, { id: '4100', key: '7-Zq3hT8kWmR2xVb9LpYc', callnum: '1' });

    await w.tick();
    assert.is((await build(id)).state, 'running', 'an OPEN task keeps the build running');
    assert.equal(hub.callsOf('multiCall').at(-1)!.params, [[{ methodName: 'getTaskInfo', params: [row.task_id!] }]]);

    hub.finishTask(row.task_id!, TASK.CLOSED);
    await w.tick();
    const done = await build(id);
    assert.is(done.state, 'succeeded');
    assert.is(done.outcome, 'passed');
    assert.ok(done.buildroot_size! > 0, 'its buildroot is stored like any build');
    assert.equal(await resultsFor('qux'), [{ outcome: 'PASSED' }]);
    await w.stop();

    const app = createApp({ db: database.db, config: loadConfig({}) });
    const log = await app.request(`/api/builds/${id}/log`);
    assert.is(log.status, 200);
    const text = await log.text();
    const child = row.task_id! + 1;
    assert.match(text, `Koji task ${row.task_id} (build) CLOSED`);
    assert.match(text, `==> task ${child} (buildArch x86_64) build.log <==`);
    assert.ok(text.indexOf('build.log <==') < text.indexOf('root.log <=='), 'build.log first, then root.log');
    assert.match(text, 'Wrote: /builddir/build/RPMS/x.rpm');
    assert.equal(hub.callsOf('downloadTaskOutput').find((c) => c.params[1] === 'build.log')!.params, [child, 'build.log', 0, 1 << 20]);
    const view = await (await app.request(`/api/builds/${id}`)).json() as { taskId: number; backend: string };
    assert.equal({ taskId: view.taskId, backend: view.backend }, { taskId: row.task_id, backend: 'koji' });
  });

  it('a build stored on another Koji volume is submitted from vol/<volume>/packages/...', async () => {
    hub.volumes = { baz: 'archive' };
    const w = worker('koji-volume');
    await w.start();
    const id = await enqueue('baz');
    await w.tick();
    const row = await build(id);
    assert.is(row.state, 'running', row.error ?? '');
    assert.equal(hub.callsOf('build').at(-1)!.params, ['../vol/archive/packages/baz/1.0/1.fc40/src/baz-1.0-1.fc40.src.rpm', 'f40-ripple', { scratch: true }, 30]);
    hub.finishTask(row.task_id!, TASK.CLOSED);
    await w.tick();
    assert.is((await build(id)).state, 'succeeded');
  });

  it('a FAILED task with a Koji build error is the package failing: failed build, fault and build.log in its log', async () => {
    const w = worker('koji-a');
    await w.start();
    const id = await enqueue('foo');
    await w.tick();
    const task = (await build(id)).task_id!;
    hub.finishTask(task, TASK.FAILED, { buildLog: 'error: Bad exit status from /var/tmp/rpm-tmp.a8Xk (%build)\n' });
    await w.tick();
    await w.stop();
    const row = await build(id);
    assert.is(row.state, 'failed');
    assert.is(row.outcome, 'failed');
    assert.equal(hub.callsOf('getTaskResult').at(-1)!.params, [task]);
    const text = readFileSync(row.log_path!, 'utf8');
    assert.match(text, 'FAILED: error building package (arch x86_64), mock exited with status 1');
    assert.match(text, 'Bad exit status from /var/tmp/rpm-tmp.a8Xk (%build)');
    const pkg = await database.db.selectFrom('packages').select('state').where('name', '=', 'foo').executeTakeFirstOrThrow();
    assert.is(pkg.state, 'failing');
    assert.equal(await resultsFor('foo'), [{ outcome: 'FAILED' }]);
  });

  it('cancel: a cancel request becomes cancelTask on the hub; a task canceled on the hub ends its build canceled', async () => {
    const w = worker('koji-a');
    await w.start();
    const viaQueue = await enqueue('site');
    const viaMethod = await enqueue('relops');
    const onHub = await enqueue('richdeps');
    await w.tick();
    const [t1, t2, t3] = [(await build(viaQueue)).task_id!, (await build(viaMethod)).task_id!, (await build(onHub)).task_id!];

    await withTransaction(database.db, (trx) => cancelBuilds(trx, [viaQueue], 'maria'));
    assert.equal(await w.cancel(viaMethod, 'admin'), { id: viaMethod, was: 'running', state: 'running' });
    assert.equal(hub.callsOf('cancelTask').map((c) => c.params), [[t2]], 'cancel() asks the hub at once');
    hub.cancelOnHub(t3);
    await w.tick(); // sends cancelTask for the requested one; sees the other two CANCELED
    await w.tick();
    await w.stop();
    assert.equal(hub.callsOf('cancelTask').map((c) => c.params), [[t2], [t1]], 'each task is canceled once');
    const rows = await Promise.all([viaQueue, viaMethod, onHub].map(build));
    assert.equal(rows.map((r) => [r.state, r.canceled_by]), [['canceled', 'maria'], ['canceled', 'admin'], ['canceled', `koji hub (task ${t3})`]]);
    assert.equal(await resultsFor('site'), [], 'a canceled build records no result');
  });

  it('the hub down or failing: nothing new is taken, running tasks are kept, a failed submission is retried with backoff and never a package failure', async () => {
    const w = worker('koji-a');
    hub.down = true;
    await w.start();
    assert.is(await capacityOf('koji-a'), 0, 'an unreachable hub has no capacity');
    const first = await enqueue('migrate');
    await w.tick();
    assert.is((await build(first)).state, 'queued', 'nothing is claimed while the hub is down');

    hub.down = false;
    hub.failNext('build', 503);
    await w.tick();
    let row = await build(first);
    assert.equal([row.state, row.attempt, row.task_id], ['queued', 2, null]);
    assert.match(row.error!, /koji submission: .*build: HTTP 503/);
    assert.equal(await resultsFor('migrate'), []);
    const retryEvents = await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.retry'] });
    assert.ok(retryEvents.some((e) => e.payload.build_id === first));

    await w.tick(); // the retry: looks for an earlier task of this build (none), then submits
    row = await build(first);
    assert.is(row.state, 'running');
    const listed = hub.callsOf('listTasks').at(-1)!.params;
    assert.equal([(listed[0] as Record<string, unknown>).owner, (listed[0] as Record<string, unknown>).method], [7, 'build']);
    assert.equal(buildCallsFor('migrate').length, 2);

    // The hub executes build() but its answer is lost: the retry finds that task instead of submitting again.
    const second = await enqueue('weakling');
    hub.failNext('build', 'lost-response');
    await w.tick();
    assert.equal((await build(second)).state, 'queued');
    await w.tick();
    const weakling = await build(second);
    assert.is(weakling.state, 'running');
    assert.is(buildCallsFor('weakling').length, 1, 'never submitted twice');
    assert.is(weakling.task_id, [...hub.tasks.values()].find((t) => t.method === 'build' && t.request[0] === srpm('weakling'))!.id);

    // A task failing inside Koji (not a build error) is infrastructure too; the next attempt is a new task.
    const failedTask = row.task_id!;
    hub.finishTask(failedTask, TASK.FAILED, { fault: { code: 1, text: "<class 'OSError'>: [Errno 28] No space left on device" } });
    await w.tick(); // retried, and claimed again at once (backoff 0 here)
    row = await build(first);
    assert.equal([row.state, row.attempt], ['running', 3]);
    assert.ok(row.task_id !== failedTask, 'the failed task of the previous attempt is not adopted');
    assert.is(buildCallsFor('migrate').length, 3);
    const retried = (await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.retry'] })).filter((e) => e.payload.build_id === first);
    assert.match(String(retried.at(-1)!.payload.error), /failed inside Koji: .*No space left on device/);

    // While the hub is down, running builds stay running.
    hub.down = true;
    await w.tick();
    assert.equal([(await build(first)).state, (await build(second)).state], ['running', 'running']);
    hub.down = false;
    hub.finishTask(row.task_id!, TASK.CLOSED);
    hub.finishTask(weakling.task_id!, TASK.CLOSED);
    await w.tick();
    await w.stop();
    assert.equal([(await build(first)).state, (await build(second)).state], ['succeeded', 'succeeded']);
    const pkg = await database.db.selectFrom('packages').select('state').where('name', '=', 'migrate').executeTakeFirstOrThrow();
    assert.is(pkg.state, 'ok', 'infrastructure failures never made it failing');
  });

  it('timeout: a task unfinished after the build timeout is canceled on the hub and retried as infrastructure, never a package failure', async () => {
    const w = worker('koji-t', 30, 0.5);
    await w.start();
    const id = await enqueue('newthing');
    await w.tick();
    const stuck = (await build(id)).task_id!;
    await w.tick();
    assert.is((await build(id)).task_id, stuck, 'within the timeout the task is followed');
    await new Promise((r) => setTimeout(r, 700));
    await w.tick(); // times out: canceled on the hub, requeued (backoff 0 here) and claimed again
    assert.equal(hub.callsOf('cancelTask').filter((c) => c.params[0] === stuck).length, 1);
    assert.is(hub.tasks.get(stuck)!.state, TASK.CANCELED);
    const row = await build(id);
    assert.equal([row.state, row.attempt], ['running', 2]);
    assert.ok(row.task_id !== null && row.task_id !== stuck, 'the retry is a new task, not the canceled one');
    const retried = (await readEvents(database.db, { afterId: 0, limit: 1000, types: ['build.retry'] })).filter((e) => e.payload.build_id === id);
    assert.match(String(retried.at(-1)!.payload.error), `Koji task ${stuck} still OPEN after 0.5 s: canceled on the hub`);
    hub.finishTask(row.task_id!, TASK.CLOSED);
    await w.tick();
    await w.stop();
    assert.is((await build(id)).state, 'succeeded');
    assert.equal(await resultsFor('newthing'), [{ outcome: 'PASSED' }], 'only the finished attempt is a result');
  });

  it('restart: a task that finished while no worker ran is reconciled from the hub, never lost or submitted twice', async () => {
    const a = worker('koji-r1', 0.5);
    await a.start();
    const id = await enqueue('bartender');
    await a.tick();
    const task = (await build(id)).task_id!;
    await a.stop(); // the worker dies; its task runs on
    hub.finishTask(task, TASK.CLOSED);
    await new Promise((resolve) => setTimeout(resolve, 700)); // its lease expires
    // Any builder's tick (a local one here) returns lost builds to the queue, but not one with a task.
    assert.equal(await reclaimExpired(database.db, { maxAttempts: 3, backoffSeconds: 0 }), []);
    assert.equal([(await build(id)).state, (await build(id)).attempt], ['running', 1]);

    const b = worker('koji-r2');
    await b.start(); // adopts the build (a build with a task is never requeued) and polls it
    await b.stop();
    const row = await build(id);
    assert.equal([row.state, row.worker, row.attempt, row.task_id], ['succeeded', 'koji-r2', 1, task]);
    assert.is(buildCallsFor('bartender').length, 1);

    // Crash between build() and recording its task: the restarted worker finds the task on the hub.
    const c = worker('koji-r3');
    await c.start();
    const again = await enqueue('qux');
    await c.tick();
    const submitted = (await build(again)).task_id!;
    await c.stop();
    await database.db.updateTable('builds').set({ task_id: null }).where('id', '=', again).execute();
    const restarted = worker('koji-r3');
    await restarted.start();
    assert.is((await build(again)).task_id, submitted, 'the task of the earlier submission is adopted');
    assert.is(buildCallsFor('qux').length, 2, 'one submission per build');
    hub.finishTask(submitted, TASK.CLOSED);
    await restarted.tick();
    await restarted.stop();
    assert.is((await build(again)).state, 'succeeded');
  });

  it("capacity: the hosts' capacity and task load decide how many koji builds the scheduler queues", async () => {
    await database.db.updateTable('builders').set({ last_seen: new Date(Date.now() - 3600_000) }).execute();
    const w = worker('koji-cap');
    await w.start();
    assert.is(await capacityOf('koji-cap'), 3);
    assert.equal(hub.callsOf('listHosts').at(-1)!.params, [{ arches: ['x86_64'], channelID: 1, enabled: true, __starstar: true }]);
    await database.db.updateTable('packages').set({ manual_priority: 3000 }).execute();
    const tick = await schedulerTick(database.db, testSettings());
    assert.is(tick.queued.length, 3);
    assert.ok(tick.skipped.some((s) => s.reason === 'backend koji has no free capacity'), JSON.stringify(tick.skipped));
    await w.tick();
    const running = await database.db.selectFrom('builds').select(['id', 'task_id']).where('state', '=', 'running').execute();
    assert.is(running.length, 3);

    hub.hosts[0]!.task_load = 8; // the hub fills up: 8 + 0.5 + 4 > half of 20
    await w.tick();
    assert.is(await capacityOf('koji-cap'), 3, 'what it holds, nothing more');
    assert.is((await schedulerTick(database.db, testSettings())).queued.length, 0);
    for (const r of running) hub.finishTask(r.task_id!, TASK.CLOSED);
    await w.tick();
    assert.is(await capacityOf('koji-cap'), 0);
    hub.hosts[0]!.task_load = 1;
    await w.tick();
    await w.stop();
    assert.is(await capacityOf('koji-cap'), 3);
    await database.db.updateTable('packages').set({ manual_priority: 0 }).execute();
  });

  it.run();
}

const it = suite('koji XML-RPC');

it('what we send decodes in Python xmlrpc.client (what the hub runs) to the values meant', () => {
  const calls = [
    encodeCall('getLatestBuilds', ['f40', new KojiKwargs({ package: 'qux' })]),
    encodeCall('x', [null, 2 ** 40, -5, 1.5, 'a<&>b ü', [true, false], Buffer.from('hi'), { nested: { list: [] } }]),
  ];
  const script = `import json, sys, xmlrpc.client
out = []
for body in json.load(sys.stdin):
    params, method = xmlrpc.client.loads(body, use_builtin_types=True)
    out.append([method, [p.decode() if isinstance(p, bytes) else p for p in params]])
print(json.dumps(out))`;
  const python = spawnSync('python3', ['-c', script], { input: JSON.stringify(calls), encoding: 'utf8' });
  assert.is(python.status, 0, python.stderr);
  assert.equal(JSON.parse(python.stdout), [
    ['getLatestBuilds', ['f40', { package: 'qux', __starstar: true }]],
    ['x', [null, 2 ** 40, -5, 1.5, 'a<&>b ü', [true, false], 'hi', { nested: { list: [] } }]],
  ]);
});

it('malformed answers are refused naming what is wrong', () => {
  const wrap = (value: string) => `<?xml version='1.0'?><methodResponse><params><param>${value}</param></params></methodResponse>`;
  const cases: [string, RegExp][] = [
    [wrap('<value><int>1x</int></value>'), /<int> at offset \d+ is not an integer: '1x'/],
    [wrap('<value><float>1</float></value>'), /unknown XML-RPC type <float>/],
    [wrap('<value><struct><member><name>a</name></member></struct></value>'), /<member> at offset \d+ must hold <name> then <value>, found name/],
    [wrap('<value><boolean>yes</boolean></value>'), /<boolean> .* must be 0 or 1, not 'yes'/],
    [wrap('<value><string>a &nbsp; b</string></value>'), /unknown entity &nbsp;/],
    ['<methodResponse><params><param><value><int>1</int></value></param></params>', /<methodResponse> is never closed/],
    ['<!DOCTYPE html><html></html>', /DOCTYPE .* are not XML-RPC/],
    [wrap('<value><i8>9007199254740993</i8></value>'), /beyond 2\^53/],
  ];
  for (const [body, error] of cases) assert.throws(() => parseResponse(body, 'test'), error, body);
  assert.equal(parseResponse(wrap('<value>untyped</value>'), 'test'), { ok: true, value: 'untyped' });
  assert.equal(parseResponse(wrap('<value><struct><member><name>__proto__</name><value><nil/></value></member></struct></value>'), 'test'),
    { ok: true, value: JSON.parse('{"__proto__": null}') });
});

/** A CA, the hub's certificate for 127.0.0.1 and a client certificate for `user`, made with openssl. */
function certificates(user: string) {
  const dir = mkdtempSync(join(tmpdir(), 'ripple-koji-tls-'));
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=Test Koji CA');
  writeFileSync(join(dir, 'hub.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('req', ...key, '-keyout', 'hub.key', '-out', 'hub.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'hub.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'hub.crt', '-days', '1', '-extfile', 'hub.ext');
  run('req', ...key, '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/CN=${user}`);
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1');
  writeFileSync(join(dir, 'client.pem'), readFileSync(join(dir, 'client.crt'), 'utf8') + readFileSync(join(dir, 'client.key'), 'utf8'));
  return { dir, ca: readFileSync(join(dir, 'ca.crt')), key: readFileSync(join(dir, 'hub.key')), cert: readFileSync(join(dir, 'hub.crt')) };
}

it('client-certificate login: sslLogin over https at <hub>/ssllogin, then the session on every call', async () => {
  const tls = certificates('ripple');
  const hub = await KojiHubStandIn.start({ user: 'ripple', password: 'unused', targets: {}, tagged: {}, hosts: [], tls });
  try {
    const client = new KojiClient({ hubUrl: hub.url, clientCert: join(tls.dir, 'client.pem'), serverCa: join(tls.dir, 'ca.crt'), timeoutSeconds: 5 });
    assert.is(client.loginMethod, 'ssl');
    assert.is(await client.userId(), 7);
    assert.equal(hub.calls.map((c) => [c.method, c.path, c.params, c.session?.callnum ?? null]),
      [['sslLogin', '/kojihub/ssllogin', [], null], ['getLoggedInUser', '/kojihub', [], '1']]);
    const stranger = new KojiClient({ hubUrl: hub.url, user: 'ripple', password: 'wrong', serverCa: join(tls.dir, 'ca.crt'), timeoutSeconds: 5 });
    await stranger.userId().then(() => assert.unreachable('a wrong password logs in'), (error: Error) => assert.match(error.message, /fault 1002 in login: invalid username or password/));
    assert.equal(hub.unexpected, []);
  } finally {
    await hub.close();
  }
});

it('a koji builder needs a hub URL and credentials', () => {
  assert.throws(() => kojiWorkerFromConfig(null as never, loadConfig({ RIPPLE_BUILDER_BACKEND: 'koji' })), /RIPPLE_KOJI_HUB_URL/);
  assert.throws(() => kojiWorkerFromConfig(null as never, loadConfig({ RIPPLE_KOJI_HUB_URL: 'https://koji.example.org/kojihub' })), /RIPPLE_KOJI_CLIENT_CERT .* or RIPPLE_KOJI_USER/);
  assert.ok(kojiWorkerFromConfig(null as never, loadConfig({ RIPPLE_KOJI_HUB_URL: 'https://koji.example.org/kojihub', RIPPLE_KOJI_USER: 'ripple' })));
});

it.run();
