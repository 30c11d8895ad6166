/**
 * The build queue's hot statements (graphile-worker style: SQL first, one statement per step).
 * - claim: one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery, so concurrent workers on any
 *   machine never take the same build and never wait for each other;
 * - leases: a claimed build carries `lease_expires_at`, renewed by its worker; an expired lease
 *   means the worker died, and any worker puts the build back in the queue (`reclaimExpired`);
 * - infrastructure failures (lost worker, timeout, missing SRPM) are retried with exponential
 *   backoff up to `maxAttempts`, then end as `infra-failed`, never as the package failing.
 * Every transition checks (worker, attempt), so a worker that lost its lease cannot overwrite
 * the build another worker now runs.
 */
import { sql } from 'kysely';
import { withTransaction, type Db, type Trx } from '../db/database.ts';
import type { BuildBackend } from '../db/schema.ts';
import { appendEvents } from '../events/event-log.ts';

export interface BuilderRegistration {
  name: string;
  backend: BuildBackend;
  arches: string[];
  platforms?: string[];
  capacity: number;
}

export interface ClaimedBuild {
  id: number;
  attempt: number;
  packageId: number;
  package: string;
  collectionId: number;
  collection: string;
  format: 'rpm-md' | 'debian';
  sources: unknown[];
  snapshotId: number;
  arch: string | null;
  backend: BuildBackend;
}

export interface RetrySettings {
  maxAttempts: number;
  backoffSeconds: number;
}

export async function registerBuilder(db: Db, builder: BuilderRegistration): Promise<void> {
  await db.insertInto('builders')
    .values({ name: builder.name, backend: builder.backend, arches: builder.arches, platforms: builder.platforms ?? [], capacity: builder.capacity })
    .onConflict((oc) => oc.column('name').doUpdateSet({
      backend: builder.backend, arches: builder.arches, platforms: builder.platforms ?? [], capacity: builder.capacity,
      draining: false, last_seen: sql<Date>`now()`,
    }))
    .execute();
}

/** Marks the builder alive; a draining builder keeps its running builds but claims no more. */
export async function heartbeat(db: Db, name: string): Promise<{ draining: boolean } | undefined> {
  return db.updateTable('builders').set({ last_seen: sql<Date>`now()` }).where('name', '=', name).returning('draining').executeTakeFirst();
}

export async function setDraining(db: Db, name: string, draining: boolean): Promise<void> {
  await db.updateTable('builders').set({ draining }).where('name', '=', name).execute();
}

/** Claims up to `limit` queued builds for `builder`; each claim appends `build.started` in the same transaction. */
export async function claimBuilds(db: Db, builder: BuilderRegistration, limit: number, leaseSeconds: number): Promise<ClaimedBuild[]> {
  if (limit <= 0) return [];
  return withTransaction(db, async (trx) => {
    const { rows } = await sql<{ id: number }>`
      update builds set state = 'running', worker = ${builder.name}, started_at = now(), error = null,
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
      where id in (
        select id from builds
        where state = 'queued' and backend = ${builder.backend} and not cancel_requested
          and (arch is null or arch = any(${builder.arches}::text[]))
          and (not_before is null or not_before <= now())
        order by priority desc, id
        limit ${limit}
        for update skip locked)
      returning id`.execute(trx);
    if (rows.length === 0) return [];
    const claimed = await trx.selectFrom('builds as b')
      .innerJoin('packages as p', 'p.id', 'b.package_id')
      .innerJoin('collections as c', 'c.id', 'p.collection_id')
      .select(['b.id', 'b.attempt', 'b.package_id as packageId', 'p.name as package', 'c.id as collectionId', 'c.name as collection',
        'c.format', 'c.sources', 'b.snapshot_id as snapshotId', 'b.arch', 'b.backend'])
      .where('b.id', 'in', rows.map((r) => r.id))
      .orderBy('b.priority', 'desc').orderBy('b.id')
      .execute();
    await appendEvents(trx, claimed.map((b) => ({
      type: 'build.started', collectionId: b.collectionId, packageName: b.package,
      payload: { build_id: b.id, collection: b.collection, collection_id: b.collectionId, name: b.package, worker: builder.name, attempt: b.attempt, backend: b.backend, arch: b.arch },
    })));
    return claimed;
  });
}

/**
 * Extends the leases of `builds` held by `worker`; returns the ids it still holds, each with
 * whether someone asked it to stop (the worker then aborts it and calls `finishCanceled`).
 */
export async function renewLeases(db: Db, worker: string, builds: { id: number; attempt: number }[], leaseSeconds: number): Promise<{ id: number; cancelRequested: boolean }[]> {
  if (builds.length === 0) return [];
  const { rows } = await sql<{ id: number; cancel_requested: boolean }>`
    update builds b set lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    from unnest(${builds.map((b) => b.id)}::bigint[], ${builds.map((b) => b.attempt)}::int[]) as held(id, attempt)
    where b.id = held.id and b.attempt = held.attempt and b.state = 'running' and b.worker = ${worker}
    returning b.id, b.cancel_requested`.execute(db);
  return rows.map((r) => ({ id: r.id, cancelRequested: r.cancel_requested }));
}

export type CancelOutcome = { id: number; was: 'queued' | 'running'; state: 'canceled' | 'running' };

interface CanceledRow { id: number; was: 'queued' | 'running'; state: 'canceled' | 'running'; canceled_by: string; package_name: string; collection_id: number; collection: string }

const canceledEvents = (rows: CanceledRow[]) => rows.filter((r) => r.state === 'canceled').map((r) => ({
  type: 'build.canceled', collectionId: r.collection_id, packageName: r.package_name,
  payload: { build_id: r.id, collection: r.collection, collection_id: r.collection_id, name: r.package_name, by: r.canceled_by, was: r.was },
}));

/**
 * Cancels builds inside the caller's transaction: a queued build is canceled at once
 * (`build.canceled`); a running one is asked to stop (`cancel_requested`): its worker aborts the
 * command and records the cancel. Finished builds are left alone (not in the result).
 */
export async function cancelBuilds(trx: Trx, ids: number[], by: string): Promise<CancelOutcome[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CanceledRow>`
    with changed as (
      update builds b set
        state = case when b.state = 'queued' then 'canceled' else b.state end,
        finished_at = case when b.state = 'queued' then now() else b.finished_at end,
        cancel_requested = true, canceled_by = coalesce(b.canceled_by, ${by}),
        not_before = null
      from builds old
      where old.id = b.id and b.id = any(${ids}::bigint[]) and b.state in ('queued', 'running')
      returning b.id, old.state as was, b.state, b.canceled_by, b.package_id)
    select changed.id, changed.was, changed.state, changed.canceled_by, p.name as package_name, p.collection_id, c.name as collection
    from changed join packages p on p.id = changed.package_id join collections c on c.id = p.collection_id
    order by changed.id`.execute(trx);
  await appendEvents(trx, canceledEvents(rows));
  return rows.map((r) => ({ id: r.id, was: r.was, state: r.state }));
}

/** A worker stopped a build it was asked to cancel: the build ends as canceled. */
export async function finishCanceled(db: Db, worker: string, build: { id: number; attempt: number }, logPath: string | null = null): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const { rows } = await sql<CanceledRow>`
      with changed as (
        update builds b set state = 'canceled', finished_at = now(), lease_expires_at = null, log_path = ${logPath}
        where b.id = ${build.id} and b.attempt = ${build.attempt} and b.worker = ${worker} and b.state = 'running' and b.cancel_requested
        returning b.id, 'running' as was, b.state, b.canceled_by, b.package_id)
      select changed.id, changed.was, changed.state, coalesce(changed.canceled_by, '?') as canceled_by, p.name as package_name, p.collection_id, c.name as collection
      from changed join packages p on p.id = changed.package_id join collections c on c.id = p.collection_id`.execute(trx);
    await appendEvents(trx, canceledEvents(rows));
    return rows.length > 0;
  });
}

interface RetriedRow { id: number; state: string; attempt: number; error: string; canceled_by: string | null; package_name: string; collection_id: number; collection: string }

/**
 * Retries or gives up the running builds chosen by `where` (a SQL condition on `b`), recording
 * `error`, and appends `build.retry` / `build.finished` (outcome infra) events.
 */
async function retry(db: Db, where: ReturnType<typeof sql>, error: ReturnType<typeof sql>, settings: RetrySettings): Promise<RetriedRow[]> {
  return withTransaction(db, async (trx) => {
    const { rows } = await sql<RetriedRow>`
      with changed as (
        update builds b set
          state = case when b.cancel_requested then 'canceled' when b.attempt >= ${settings.maxAttempts} then 'infra-failed' else 'queued' end,
          outcome = case when b.cancel_requested then null when b.attempt >= ${settings.maxAttempts} then 'infra' end,
          finished_at = case when b.cancel_requested or b.attempt >= ${settings.maxAttempts} then now() end,
          not_before = case when b.cancel_requested or b.attempt >= ${settings.maxAttempts} then null
            else now() + make_interval(secs => ${settings.backoffSeconds} * power(2, b.attempt - 1)) end,
          attempt = case when b.cancel_requested or b.attempt >= ${settings.maxAttempts} then b.attempt else b.attempt + 1 end,
          worker = null, lease_expires_at = null, error = ${error}
        where b.state = 'running' and ${where}
        returning b.id, b.state, b.attempt, b.error, b.package_id, b.canceled_by)
      select changed.id, changed.state, changed.attempt, changed.error, changed.canceled_by, p.name as package_name, p.collection_id, c.name as collection
      from changed join packages p on p.id = changed.package_id join collections c on c.id = p.collection_id`.execute(trx);
    // A build someone asked to stop is never retried: losing it ends the cancel.
    await appendEvents(trx, rows.map((r) => {
      const common = { build_id: r.id, collection: r.collection, collection_id: r.collection_id, name: r.package_name };
      if (r.state === 'canceled') {
        return { type: 'build.canceled', collectionId: r.collection_id, packageName: r.package_name, payload: { ...common, by: r.canceled_by ?? '?', was: 'running' } };
      }
      return {
        type: r.state === 'queued' ? 'build.retry' : 'build.finished',
        collectionId: r.collection_id,
        packageName: r.package_name,
        payload: { ...common, attempt: r.attempt, error: r.error, ...(r.state === 'queued' ? {} : { state: r.state, outcome: 'infra' }) },
      };
    }));
    return rows;
  });
}

/**
 * Puts builds whose worker stopped renewing its lease back in the queue (or gives them up). A build
 * with a Koji task keeps running on the hub: a koji worker adopts it (koji-backend.ts), so it is
 * never submitted twice.
 */
export function reclaimExpired(db: Db, settings: RetrySettings): Promise<RetriedRow[]> {
  return retry(db, sql`b.lease_expires_at < now() and b.task_id is null`,
    sql`'lease of worker ' || coalesce(b.worker, '?') || ' expired (worker lost)'`, settings);
}

/** A worker reports an infrastructure failure of a build it holds. */
export async function failInfrastructure(db: Db, worker: string, build: { id: number; attempt: number }, error: string, settings: RetrySettings): Promise<boolean> {
  const rows = await retry(db, sql`b.id = ${build.id} and b.attempt = ${build.attempt} and b.worker = ${worker}`, sql`${error}::text`, settings);
  return rows.length > 0;
}
