/**
 * Gating benchmark on real PostgreSQL: 1,000,000 results (100,000 koji builds x 5 testcases x 2
 * scenarios) and 10,000 waivers, then, from a second process sending at a fixed rate:
 *   - POST /api/v1.0/decision p50/p99 at 500 requests/s (target p99 <= 10 ms),
 *   - GET /api/v2.0/results/latest?_distinct_on=... p99 (target <= 20 ms),
 * and POST /api/v2.0/results throughput with 32 requests in flight (target >= 2,000/s).
 *
 * Each phase also reports CPU seconds of this (the service's) process and of the PostgreSQL backends
 * serving the benchmark database, and requests per CPU-second: less sensitive to other load on the
 * machine than rates.
 *
 * Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/gating.ts [--keep] [--reuse] [--only=decision|latest|post]
 * It creates (and, unless --keep, drops) its own database `ripple_bench_gating` next to DATABASE_URL's;
 * --reuse runs against the one a --keep run left behind.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { createApp } from '../src/http/app.ts';
import { openDatabase } from '../src/db/database.ts';
import { createToken, createUser } from '../src/users/service.ts';
import { fedoraPolicies } from '../test/gating/gating-fixture.ts';

const builds = 100_000;
const testcases = ['fedora-ci.koji-build.tier0.functional', 'dist.rpmdeplint', 'dist.abicheck', 'dist.rpmlint', 'dist.upgradepath'];
const nvr = (n: number) => `pkg${n}-1.0-1.fc40`;

interface LoadSummary { sent: number; errors: number; p50: number; p99: number; max: number; rate: number }

/** Child process: sends `rate` requests/s for `seconds` and prints the latency summary as JSON. */
async function loadWorker(url: string, kind: string, rate: number, seconds: number, token: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let errors = 0;
  const pick = () => 1 + Math.floor(Math.random() * builds);
  const request = (): Promise<void> => new Promise((resolve) => {
    let method = 'POST';
    let path = '/api/v1.0/decision';
    let body: string | undefined;
    if (kind === 'decision') {
      body = JSON.stringify({ product_version: 'fedora-40', decision_context: ['bodhi_update_push_stable'], subject: [{ type: 'koji_build', item: nvr(pick()) }] });
    } else if (kind === 'latest') {
      method = 'GET';
      path = `/api/v2.0/results/latest?_distinct_on=scenario,system_architecture,system_variant&item=${nvr(pick())}&type=koji_build&testcases=${testcases.join(',')}`;
    } else {
      path = '/api/v2.0/results';
      body = JSON.stringify({ testcase: testcases[pick() % 5], outcome: 'PASSED', data: { item: nvr(pick()), type: 'koji_build', scenario: 's0' } });
    }
    const started = performance.now();
    const req = http.request(`${url}${path}`, { method, agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode! >= 300) errors++;
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
  const pending: Promise<void>[] = [];
  const started = performance.now();
  if (rate > 0) {
    const total = rate * seconds;
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(request());
    }
  } else {
    // Closed loop: 32 in flight for `seconds`.
    const until = started + seconds * 1000;
    const loop = async () => {
      while (performance.now() < until) await request();
    };
    for (let i = 0; i < 32; i++) pending.push(loop());
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2));
  const summary: LoadSummary = { sent: latencies.length, errors, p50: at(0.5), p99: at(0.99), max: at(1), rate: Math.round(latencies.length / elapsed) };
  process.send!(summary);
  agent.destroy();
}

function runLoad(url: string, kind: string, rate: number, seconds: number, token: string): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--load', url, kind, String(rate), String(seconds), token], { execArgv: ['--import', 'tsx'] });
    child.on('message', (m) => resolve(m as LoadSummary));
    child.on('error', reject);
    child.on('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

const cpuSeconds = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;

/** CPU seconds used so far by each PostgreSQL backend serving `database` (from /proc; the server is local). */
async function backendCpuSeconds(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const ticks = 100; // USER_HZ on Linux
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
    } catch {
      // the backend ended meanwhile
    }
  }
  return cpu;
}

/** CPU the database's backends used between two readings (backends that ended in between are missed). */
const backendCpuDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, seconds]) => sum + seconds - (before.get(pid) ?? 0), 0);

async function populate(db: Awaited<ReturnType<typeof openDatabase>>['db']): Promise<void> {
  const run = (text: string) => db.executeQuery(CompiledQuery.raw(text));
  await run(`insert into testcases (name) values ${testcases.map((t) => `('${t}')`).join(', ')}`);
  // Result i: build 1 + (i-1) / 10, testcase (i-1) % 5, scenario ((i-1) / 5) % 2; one in 13 fails.
  await run(`insert into results (testcase_id, outcome, submit_time)
    select t.id, case when g % 13 = 0 then 'FAILED' else 'PASSED' end, now() - (${builds * 10} - g) * interval '100 ms'
    from generate_series(1, ${builds * 10}) g join testcases t on t.name = (array[${testcases.map((t) => `'${t}'`).join(', ')}])[1 + (g - 1) % 5]`);
  await run(`insert into result_data (result_id, key, value)
    select id, 'item', 'pkg' || (1 + (id - 1) / 10) || '-1.0-1.fc40' from results
    union all select id, 'type', 'koji_build' from results
    union all select id, 'scenario', 's' || ((id - 1) / 5) % 2 from results`);
  await run(`insert into waivers (subject_type, subject_identifier, testcase, username, product_version, waived, comment)
    select 'koji_build', 'pkg' || (1 + (g * 7919) % ${builds}) || '-1.0-1.fc40', 'dist.rpmdeplint', 'bench', 'fedora-40', true, 'bench'
    from generate_series(1, 10000) g`);
  await run('analyze');
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL to a PostgreSQL server (the benchmark creates its own database there)');
  const name = 'ripple_bench_gating';
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const reuse = process.argv.includes('--reuse') && (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  if (!reuse) {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  }
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${name}`;
  const database = await openDatabase({ url: benchUrl.toString(), poolSize: 16 });
  if (!reuse) {
    const t0 = performance.now();
    await populate(database.db);
    console.log(`populated 1,000,000 results and 10,000 waivers in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const user = (await database.db.selectFrom('users').selectAll().where('name', '=', 'bench').executeTakeFirst())
    ?? await createUser(database.db, { name: 'bench', isAdmin: true });
  const { token } = await createToken(database.db, user, ['admin']);

  // The Fedora-like policies the decision tests use: two required testcases for push_stable.
  const policiesDir = mkdtempSync(join(tmpdir(), 'ripple-bench-policies-'));
  writeFileSync(join(policiesDir, 'fedora.yaml'), fedoraPolicies);
  const config = loadConfig({ RIPPLE_POLICIES_DIR: policiesDir });
  const app = createApp({ db: database.db, config });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const phases: [string, string, number, number][] = [
    ['decision at 500 req/s', 'decision', 500, 20],
    ['results/latest (_distinct_on) at 500 req/s', 'latest', 500, 10],
    ['POST /results, 32 in flight', 'post', 0, 10],
  ];
  await runLoad(base, 'decision', 200, 3, token); // warm-up
  for (const [label, kind, rate, seconds] of phases) {
    if (only && only !== kind) continue;
    const [cpu, pgCpu] = [process.cpuUsage(), await backendCpuSeconds(admin, name)];
    const summary = await runLoad(base, kind, rate, seconds, token);
    const serviceCpu = cpuSeconds(process.cpuUsage(cpu));
    const databaseCpu = backendCpuDelta(pgCpu, await backendCpuSeconds(admin, name));
    console.log(label, {
      ...summary,
      service_cpu_s: Number(serviceCpu.toFixed(2)),
      per_service_cpu_s: Math.round(summary.sent / serviceCpu),
      postgres_cpu_s: Number(databaseCpu.toFixed(2)),
      per_total_cpu_s: Math.round(summary.sent / (serviceCpu + databaseCpu)),
    });
  }

  server.close();
  await database.close();
  if (!process.argv.includes('--keep')) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

if (process.argv[2] === '--load') {
  const [, , , url, kind, rate, seconds, token] = process.argv;
  await loadWorker(url!, kind!, Number(rate), Number(seconds), token!);
} else {
  await main();
}
