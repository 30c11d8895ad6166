/**
 * Service-scale benchmark (issue 3), on the real PostgreSQL (DATABASE_URL, default the local
 * server; a fresh database is created and dropped): one collection tracking every source of Debian
 * bookworm main; cold ingest, then the regeneration bookworm -> bookworm + updates + security; then
 * package list and package detail latency under load from a second process (autocannon).
 *
 *   node --max-old-space-size=8192 --import tsx bench/service.ts [--threads N] [--seconds S] [--every N]
 *     [--keep-db NAME | --reuse-db NAME] [--connections N]
 *
 * `--every N` tracks every Nth source only (a quick run of the same path). `--keep-db NAME` builds
 * into database NAME and keeps it; `--reuse-db NAME` skips the ingest and runs only the HTTP phase
 * against such a kept database (to iterate on read queries without ingesting again). `--connections N`:
 * concurrent connections of the load generator (default 16).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { latestEventId } from '../src/events/event-log.ts';
import { createApp } from '../src/http/app.ts';
import { startServer } from '../src/http/server.ts';
import { readSnapshot } from '../src/repos/read-repository.ts';
import { ingestCollection } from '../src/resolution/ingest.ts';
import { buildSources, defaultSettings } from '../src/resolution/snapshot-resolver.ts';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = resolve(root, '../shared/data/debian');
const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const threads = option('--threads', 0) || undefined;
const seconds = option('--seconds', 15);
const every = option('--every', 1);
const connections = option('--connections', 16);
const named = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const [keep, reuse] = [named('--keep-db'), named('--reuse-db')];
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const name = reuse ?? keep ?? `ripple_bench_${randomBytes(3).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
if (!reuse) await admin.query(`create database ${name}`);
const database = await openDatabase({ url: url.toString() });
const size = async () => Number((await admin.query('select pg_database_size($1) as s', [name])).rows[0].s);
const ingestRows: string[][] = [];
const httpRows: string[][] = [];
const transitionRows: string[][] = [];
const phaseRows: string[][] = [];
try {
  const { db } = database;
  const sources = buildSources(await readSnapshot([resolve(data, 'bookworm')], 'deb'), defaultSettings('deb')).filter((_, i) => i % every === 0);
  const collection = reuse ? await db.selectFrom('collections').select('id').where('name', '=', 'bookworm').executeTakeFirstOrThrow() : await db.insertInto('collections').values({
    name: 'bookworm', display_name: 'Debian 12', format: 'debian', sources: JSON.stringify([{ url: resolve(data, 'bookworm') }]),
    architectures: ['amd64'], base_buildroot: JSON.stringify({ packages: ['build-essential'], essential: true }),
  }).returning('id').executeTakeFirstOrThrow();
  if (!reuse) for (let at = 0; at < sources.length; at += 5000) {
    await db.insertInto('packages').values(sources.slice(at, at + 5000).map((s) => ({ collection_id: collection.id, name: s.name }))).execute();
  }
  const phase = async (label: string) => {
    const [bytes, events, started] = [await size(), await latestEventId(db), Date.now()];
    const outcome = await ingestCollection(db, 'bookworm', { instance: 'bench', threads });
    const wall = (Date.now() - started) / 1000;
    if (outcome.status !== 'ingested') throw new Error(`${label}: ${JSON.stringify(outcome)}`);
    // Every state change and every package's dependency changes must be in the event log.
    const count = async (type: string) => Number((await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', '>', events).where('type', '=', type).executeTakeFirstOrThrow()).n);
    const changedPackages = Number((await db.selectFrom('package_dependency_changes').select((eb) => eb.fn.count<number>('package_id').distinct().as('n'))
      .where('snapshot_id', '=', outcome.snapshotId).executeTakeFirstOrThrow()).n);
    ingestRows.push([label, `${wall.toFixed(1)} s`, `${outcome.solved} / ${outcome.tracked}`, String(outcome.changed),
      `${outcome.stateChanges} / ${await count('package.state.change')}`, `${changedPackages} / ${await count('package.dependency.change')}`,
      String(Number((await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '>', events).executeTakeFirstOrThrow()).n)), `${(((await size()) - bytes) / 2 ** 20).toFixed(1)} MB`, outcome.fullReason ?? 'incremental']);
    phaseRows.push([label, Object.entries(outcome.phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')]);
    console.error(`${label}: ${wall.toFixed(1)} s`);
    const transitions = await db.selectFrom('package_state_changes').select(['previous_state', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('snapshot_id', '=', outcome.snapshotId).groupBy(['previous_state', 'state']).execute();
    transitionRows.push(...transitions.map((t) => [label, `${t.previous_state} -> ${t.state}`, String(t.n)]));
  };
  if (!reuse) {
    await phase('cold: bookworm');
    await db.updateTable('collections').set({
      sources: JSON.stringify(['bookworm', 'bookworm-updates', 'bookworm-security'].map((d) => ({ url: resolve(data, d) }))),
    }).where('id', '=', collection.id).execute();
    await phase('regeneration: + updates + security');
  }

  // The server here runs without autovacuum: give the planner the statistics it would have.
  await sql`vacuum (analyze)`.execute(db);
  const server = await startServer({ app: createApp({ db, config: loadConfig({ DATABASE_URL: url.toString() }) }), config: loadConfig({ RIPPLE_HTTP_PORT: '0' }) });
  try {
    const names = sources.filter((_, i) => i % 97 === 0).map((s) => s.name);
    const load = async (label: string, paths: string[]) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', resolve(root, 'bench/http-load.ts'), server.url, String(seconds), ...paths],
        { maxBuffer: 1 << 24, env: { ...process.env, HTTP_LOAD_CONNECTIONS: String(connections) } });
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { rps: number; p50: number; p99: number; errors: number; non2xx: number };
      httpRows.push([label, String(r.rps), `${r.p50} ms`, `${r.p99} ms`, String(r.errors + r.non2xx)]);
    };
    await load('package list (50 per page, filtered by state)', names.slice(0, 40).map((_, i) => `/api/packages?collection=bookworm&limit=50&page=${i + 1}${i % 2 ? '&state=unknown' : ''}`));
    await load('package detail', names.map((n) => `/api/collections/bookworm/packages/${encodeURIComponent(n)}`));
    await load('Koschei /api/v1/packages', names.map((n) => `/api/v1/packages?collection=bookworm&name=${encodeURIComponent(n)}`));
    // What the web UI's pages call (web/src/pages), each cycled under the same load.
    await db.deleteFrom('package_groups').where('name', '=', 'bench').execute(); // left by a kept run
    const group = await db.insertInto('package_groups').values({ name: 'bench', description: 'every 97th source' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('package_group_members').values(names.map((n) => ({ group_id: group.id, package_name: n }))).execute();
    await load('UI overview: /api/collections', ['/api/collections']);
    await load('UI overview: collection with state counts', ['/api/collections/bookworm']);
    await load('UI overview: state history (a week, 84 points)', ['/api/collections/bookworm/history?hours=168&points=84']);
    await load('UI overview: last snapshots', ['/api/collections/bookworm/snapshots?limit=5']);
    await load('UI package list: filters and sorts', [
      '/api/packages?collection=bookworm&state=unresolved&sort=state_since&limit=50',
      '/api/packages?collection=bookworm&name=*lib*&sort=name&limit=50&page=3',
      '/api/packages?collection=bookworm&sort=priority&limit=50',
      '/api/packages?collection=bookworm&group=global/bench&limit=50',
    ]);
    await load('UI package page: schedule', names.map((n) => `/api/collections/bookworm/packages/${encodeURIComponent(n)}/schedule`));
    await load('UI package page: builds', names.map((n) => `/api/builds?collection=bookworm&package=${encodeURIComponent(n)}&limit=20`));
    await load('UI group page', ['/api/groups/global/bench']);
  } finally {
    await server.close();
  }
} finally {
  await database.close();
  if (!keep && !reuse) await admin.query(`drop database ${name} with (force)`);
  await admin.end();
}
const print = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const line of [header, widths.map((w) => '-'.repeat(w)), ...rows]) console.log(`| ${line.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`);
  console.log();
};
print(['phase', 'wall', 'solved / tracked', 'resolutions changed', 'state changes / events', 'packages with dependency changes / events', 'events', 'db growth', 'mode'], ingestRows);
print(['phase', 'seconds per step'], phaseRows);
print(['phase', 'state change', 'packages'], transitionRows);
print([`endpoint (${connections} connections, second process)`, 'req/s', 'p50', 'p99', 'errors'], httpRows);
