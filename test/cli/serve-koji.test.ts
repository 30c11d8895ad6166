/**
 * `ripple serve` with a koji builder, end to end: the real CLI process (api, watcher, scheduler and
 * builder roles on an embedded database) against the protocol-level Koji hub stand-in. A build
 * requested through the API is queued by the scheduler, submitted to the hub as a scratch build of
 * the tagged SRPM, followed to its end and recorded as a result; SIGTERM stops every role.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KojiHubStandIn, TASK } from '../builds/koji-hub-stand-in.ts';
import { fixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { projectRoot, rippleCommand, rippleEnv, seededDataDir } from './cli-fixture.ts';

test('a build requested through the API of `ripple serve` runs as a Koji scratch build and is recorded', async () => {
  const repos = await fixtureRepositories();
  const dataDir = await seededDataDir();
  const hub = await KojiHubStandIn.start({
    user: 'ripple', password: 's3cret', targets: { 'f40-ripple': ['f40-build', 'f40'] }, tagged: { f40: { qux: '1.0-1.fc40' } },
    hosts: [{ id: 1, name: 'buildvm-x86-01.example.org', arches: 'x86_64 i686', capacity: 8, task_load: 0, ready: true, enabled: true }],
  });
  const env = {
    ...rippleEnv(dataDir), RIPPLE_HTTP_PORT: '0', RIPPLE_SCHEDULER_INTERVAL_SECONDS: '0.2', RIPPLE_BUILDER_BACKEND: 'koji',
    RIPPLE_BUILDER_ARCHES: 'x86_64', RIPPLE_KOJI_HUB_URL: hub.url, RIPPLE_KOJI_USER: 'ripple', RIPPLE_KOJI_PASSWORD: 's3cret', RIPPLE_KOJI_POLL_SECONDS: '0.2',
  };
  const cli = (...args: string[]) => {
    const child = spawnSync(...rippleCommand(...args), { cwd: projectRoot, env, encoding: 'utf8' });
    assert.is(child.status, 0, `ripple ${args.join(' ')}: ${child.stderr}`);
    return child.stdout;
  };
  cli('collection', 'create', 'kojirpms', '--format', 'rpm-md', '--source', repos.v1, '--base-group', 'build', '--arch', 'x86_64', '--backend', 'koji', '--target', 'f40-ripple');
  cli('add-packages', 'kojirpms', 'qux');
  cli('regenerate', 'kojirpms', '--now');
  cli('user', 'create', 'maria', '--admin');
  const token = /rpl_\S+/.exec(cli('token', 'create', 'maria', '--scope', 'maintainer'))![0];

  const serve = spawn(...rippleCommand('serve', '--roles', 'api,watcher,scheduler,builder'), { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  serve.stdout.on('data', (d) => (stdout += d));
  serve.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => serve.on('exit', (code) => resolve(code)));
  try {
    const url = await waitFor('serve to print its URL', () => / at (http:\/\/\S+)/.exec(stdout)?.[1], 60_000)
      .catch((error: Error) => assert.unreachable(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`) as never);
    const requested = await fetch(`${url}/api/collections/kojirpms/packages/qux/builds`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.is(requested.status, 201, await requested.text());

    const submitted = await waitFor('the scratch build on the hub', () => hub.callsOf('build')[0]);
    assert.equal(submitted.params, ['../packages/qux/1.0/1.fc40/src/qux-1.0-1.fc40.src.rpm', 'f40-ripple', { scratch: true }, 30]);
    const task = [...hub.tasks.values()].find((t) => t.method === 'build')!;
    const running = await waitFor('the build to record its task', async () => {
      const [b] = await (await fetch(`${url}/api/builds?collection=kojirpms&package=qux`)).json() as { id: number; state: string; taskId: number | null }[];
      return b?.taskId === task.id ? b : undefined;
    });
    assert.is(running.state, 'running');

    hub.finishTask(task.id, TASK.CLOSED);
    const finished = await waitFor('the build to finish', async () => {
      const b = await (await fetch(`${url}/api/builds/${running.id}`)).json() as { state: string; outcome: string | null };
      return b.state === 'succeeded' ? b : undefined;
    });
    assert.is(finished.outcome, 'passed');
    const results = await (await fetch(`${url}/api/v2.0/results/latest?testcases=ripple.scratch-build&item=kojirpms/qux`)).json() as { data: { outcome: string }[] };
    assert.equal(results.data.map((r) => r.outcome), ['PASSED']);
    const log = await fetch(`${url}/api/builds/${running.id}/log`);
    assert.match(await log.text(), `Koji task ${task.id} (build) CLOSED`);
    assert.equal(hub.unexpected, [], 'the hub stand-in saw unexpected calls');
  } finally {
    serve.kill('SIGTERM');
    const code = await exited;
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
    assert.is(code, 0, stderr);
  }
});

test.run();
