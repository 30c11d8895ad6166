/**
 * `ripple demo` as the README's first command runs it: on a data directory with nothing in it,
 * it serves the fixture collection; `ripple demo-bump` makes baz unresolvable through the running
 * demo; SIGTERM stops it cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../helpers/wait-for.ts';
import { projectRoot, rippleCommand, rippleEnv, seededDataDir } from './cli-fixture.ts';

let dataDir: string;

test.before(async () => {
  dataDir = await seededDataDir('demo');
});

test.after(() => rmSync(dataDir, { recursive: true, force: true }));

test('demo serves the fixture; demo-bump makes baz unresolvable with its root cause; SIGTERM exits 0', async () => {
  const demo = spawn(...rippleCommand('demo', '--port', '0'), { cwd: projectRoot, env: rippleEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  demo.stdout.on('data', (d) => (stdout += d));
  demo.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
  try {
    const url = await waitFor('the demo to print its URL', async () => /running at (http:\/\/\S+)/.exec(stdout)?.[1], 60_000)
      .catch((error: Error) => assert.unreachable(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`) as never);
    assert.match(stdout, /Admin token of user 'demo'.*\n\s+rpl_/);
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    const list = await (await fetch(`${url}/api/packages?collection=fixture&limit=100`)).json() as { items: { name: string; resolved: boolean }[] };
    assert.ok(list.items.find((p) => p.name === 'baz')?.resolved, 'baz is resolved in v1');

    const bump = spawnSync(...rippleCommand('demo-bump'), { cwd: projectRoot, env: rippleEnv(dataDir), encoding: 'utf8' });
    assert.is(bump.status, 0, bump.stderr);
    assert.match(bump.stdout, /moved fixture to v2/);
    // A poll may meet the server closing an idle keep-alive connection while the ingest keeps it
    // busy ("fetch failed"); the next poll asks again.
    const baz = await waitFor('baz to become unresolvable', async () => {
      const response = await fetch(`${url}/api/collections/fixture/packages/baz`).catch(() => undefined);
      const detail = await response?.json() as { resolved: boolean; state: string; resolution: { rootCause: { summary: string } | null } } | undefined;
      return detail?.resolved === false ? detail : undefined;
    }, 30_000);
    assert.is(baz.state, 'unresolved');
    assert.match(baz.resolution.rootCause?.summary ?? '', /libbar 2.0-1 replaced libbar 1.9-3/);
    const zap = await (await fetch(`${url}/api/packages?collection=fixture&name=zap`)).json() as { total: number };
    assert.is(zap.total, 1, 'sources new in v2 are tracked too');
  } finally {
    demo.kill('SIGTERM');
  }
  assert.is(await exited, 0, stderr);
});

test.run();
