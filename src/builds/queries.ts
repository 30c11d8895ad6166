/** Read side of builds and builders, as the API shows them. */
import { readFile } from 'node:fs/promises';
import type { Db } from '../db/database.ts';
import type { BuildState } from '../db/schema.ts';
import { notFound } from '../errors.ts';

export const buildStates: readonly BuildState[] = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'infra-failed'];

export interface BuildFilter {
  collection?: string;
  package?: string;
  states?: BuildState[];
  limit?: number;
}

function buildsQuery(db: Db) {
  return db.selectFrom('builds as b')
    .innerJoin('packages as p', 'p.id', 'b.package_id')
    .innerJoin('collections as c', 'c.id', 'p.collection_id')
    .innerJoin('snapshots as s', 's.id', 'b.snapshot_id')
    .select(['b.id', 'c.name as collection', 'p.name as package', 's.sequence as snapshot', 'b.backend', 'b.arch', 'b.state', 'b.reason',
      'b.priority', 'b.attempt', 'b.worker', 'b.lease_expires_at as leaseExpiresAt', 'b.not_before as notBefore', 'b.queued_at as queuedAt',
      'b.started_at as startedAt', 'b.finished_at as finishedAt', 'b.duration_ms as durationMs', 'b.exit_status as exitStatus',
      'b.error', 'b.outcome', 'b.task_id as taskId', 'b.buildroot_size as buildrootSize', 'b.cancel_requested as cancelRequested', 'b.canceled_by as canceledBy']);
}

export type BuildView = Awaited<ReturnType<ReturnType<typeof buildsQuery>['execute']>>[number] & { logUrl: string };
const withLog = <T extends { id: number }>(row: T) => ({ ...row, logUrl: `/api/builds/${row.id}/log` });

export async function listBuilds(db: Db, filter: BuildFilter): Promise<BuildView[]> {
  let query = buildsQuery(db);
  if (filter.collection) query = query.where('c.name', '=', filter.collection);
  if (filter.package) query = query.where('p.name', '=', filter.package);
  if (filter.states?.length) query = query.where('b.state', 'in', filter.states);
  return (await query.orderBy('b.id', 'desc').limit(filter.limit ?? 100).execute()).map(withLog);
}

export async function getBuild(db: Db, id: number): Promise<BuildView & { dependencyChanges: unknown[] }> {
  const row = await buildsQuery(db).where('b.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('build', String(id));
  const changes = await db.selectFrom('dependency_changes as d')
    .leftJoin('binary_packages as pb', 'pb.id', 'd.previous_binary_package_id')
    .leftJoin('binary_packages as cb', 'cb.id', 'd.current_binary_package_id')
    .select(['d.dependency_name as name', 'd.kind', 'd.distance', 'pb.version as previousVersion', 'pb.release as previousRelease',
      'cb.version as currentVersion', 'cb.release as currentRelease'])
    .where('d.build_id', '=', id).orderBy('d.distance').orderBy('d.dependency_name').execute();
  return { ...withLog(row), dependencyChanges: changes };
}

export async function buildLog(db: Db, id: number): Promise<string> {
  const row = await db.selectFrom('builds').select('log_path').where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('build', String(id));
  if (!row.log_path) throw notFound('build log', String(id));
  try {
    return await readFile(row.log_path, 'utf8');
  } catch {
    // The builder's disk is not this instance's, or the log was cleaned up.
    throw notFound('build log', `${id} (${row.log_path})`);
  }
}

export function listBuilders(db: Db) {
  return db.selectFrom('builders').select(['name', 'backend', 'platforms', 'arches', 'capacity', 'draining', 'registered_at as registeredAt', 'last_seen as lastSeen',
    (eb) => eb.selectFrom('builds').select((e) => e.fn.countAll<number>().as('n')).whereRef('builds.worker', '=', 'builders.name').where('builds.state', '=', 'running').as('running')])
    .orderBy('name').execute();
}

/** Running builds first, then the queue in claim order. */
export async function buildQueue(db: Db): Promise<BuildView[]> {
  return (await buildsQuery(db).where('b.state', 'in', ['running', 'queued'])
    .orderBy('b.state', 'desc').orderBy('b.priority', 'desc').orderBy('b.id').execute()).map(withLog);
}
