/**
 * Collections over the rpm fixture distribution (real rpmbuild + createrepo_c output), ingested by
 * the real pipeline, plus the scheduler settings the tests start from.
 */
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { ingestCollection } from '../../src/resolution/ingest.ts';
import { schedulerSettings, type SchedulerSettings } from '../../src/scheduling/scheduler.ts';
import { registerBuilder } from '../../src/builds/build-queue.ts';

export const fixtureSources = ['bartender', 'baz', 'clash', 'foo', 'migrate', 'newthing', 'nosuch', 'qux', 'relops', 'richdeps', 'site', 'weakling', 'zap'];

/** Creates collection `name` over `repository` with the fixture's sources tracked, and ingests it. */
export async function fixtureCollection(db: Db, name: string, repository: string, backend = 'simulation'): Promise<number> {
  const row = await db.insertInto('collections').values({
    name, display_name: name, format: 'rpm-md', sources: JSON.stringify([{ url: repository }]), architectures: ['x86_64'],
    base_buildroot: JSON.stringify({ group: 'build' }), build_backend: backend,
  }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('packages').values(fixtureSources.map((p) => ({ collection_id: row.id, name: p }))).execute();
  await ingest(db, name);
  return row.id;
}

export async function ingest(db: Db, name: string): Promise<void> {
  const outcome = await ingestCollection(db, name, { instance: 'test', threads: 1 });
  if (outcome.status !== 'ingested') throw new Error(`ingest of ${name}: ${JSON.stringify(outcome)}`);
}

/** Points the collection at another repository and ingests it (a distribution update). */
export async function moveTo(db: Db, name: string, repository: string): Promise<void> {
  await db.updateTable('collections').set({ sources: JSON.stringify([{ url: repository }]) }).where('name', '=', name).execute();
  await ingest(db, name);
}

export function testSettings(overrides: Partial<SchedulerSettings> = {}): SchedulerSettings {
  return { ...schedulerSettings(loadConfig({})), ...overrides };
}

export const addBuilder = (db: Db, name: string, capacity: number, backend: 'local' | 'simulation' = 'simulation') =>
  registerBuilder(db, { name, backend, arches: ['x86_64'], capacity });

export async function packageId(db: Db, collection: string, name: string): Promise<number> {
  const row = await db.selectFrom('packages as p').innerJoin('collections as c', 'c.id', 'p.collection_id')
    .select('p.id').where('c.name', '=', collection).where('p.name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}
