/**
 * Service-scale benchmark (issue 3): one collection tracking every source of Debian bookworm main
 * on the real PostgreSQL (DATABASE_URL, default the local server's `test` database; a fresh
 * database is created and dropped), then the regeneration bookworm -> bookworm + updates +
 * security. Prints a table: wall time per phase, sources solved vs tracked, state changes and
 * events written, database growth.
 *
 *   node --import tsx bench/ingest.ts [--threads N]
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/database.ts';
import { latestEventId } from '../src/events/event-log.ts';
import { readSnapshot } from '../src/repos/read-repository.ts';
import { ingestCollection } from '../src/resolution/ingest.ts';
import { buildSources, defaultSettings } from '../src/resolution/snapshot-resolver.ts';

const root = resolve(new URL('..', import.meta.url).pathname);
const data = resolve(root, '../shared/data/debian');
const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : undefined;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const name = `ripple_bench_${randomBytes(3).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${name}`);
const database = await openDatabase({ url: url.toString() });
const size = async () => Number((await admin.query('select pg_database_size($1) as s', [name])).rows[0].s);
const rows: string[][] = [];
try {
  const { db } = database;
  const sources = buildSources(await readSnapshot([resolve(data, 'bookworm')], 'deb'), defaultSettings('deb'));
  const collection = await db.insertInto('collections').values({
    name: 'bookworm', display_name: 'Debian 12', format: 'debian', sources: JSON.stringify([{ url: resolve(data, 'bookworm') }]),
    architectures: ['amd64'], base_buildroot: JSON.stringify({ packages: ['build-essential'], essential: true }),
  }).returning('id').executeTakeFirstOrThrow();
  for (let at = 0; at < sources.length; at += 5000) {
    await db.insertInto('packages').values(sources.slice(at, at + 5000).map((s) => ({ collection_id: collection.id, name: s.name }))).execute();
  }
  const phase = async (label: string) => {
    const [bytes, events, started] = [await size(), await latestEventId(db), Date.now()];
    const outcome = await ingestCollection(db, 'bookworm', { instance: 'bench', threads });
    const wall = (Date.now() - started) / 1000;
    if (outcome.status !== 'ingested') throw new Error(`${label}: ${JSON.stringify(outcome)}`);
    rows.push([label, `${wall.toFixed(1)} s`, `${outcome.solved} / ${outcome.tracked}`, String(outcome.changed), String(outcome.stateChanges),
      String((await latestEventId(db)) - events), `${((await size()) - bytes) / 2 ** 20 | 0} MB`, outcome.fullReason ?? 'incremental']);
  };
  await phase('cold: bookworm');
  await db.updateTable('collections').set({
    sources: JSON.stringify(['bookworm', 'bookworm-updates', 'bookworm-security'].map((d) => ({ url: resolve(data, d) }))),
  }).where('id', '=', collection.id).execute();
  await phase('regeneration: + updates + security');
} finally {
  await database.close();
  await admin.query(`drop database ${name} with (force)`);
  await admin.end();
}
const header = ['phase', 'wall', 'solved / tracked', 'resolutions changed', 'state changes', 'events', 'db growth', 'mode'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const line of [header, widths.map((w) => '-'.repeat(w)), ...rows]) console.log(line.map((c, i) => c.padEnd(widths[i]!)).join(' | '));
