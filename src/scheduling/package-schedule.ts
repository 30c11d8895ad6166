/**
 * One package's scheduling view: its priority breakdown and every reason it is not scheduled now
 * ("blocked", "unresolved since snapshot 4", "priority 120 below threshold 256", "blocked by build
 * of qux (build-dependency)", ...). Uses the scheduler's own statement and rules.
 */
import type { Db } from '../db/database.ts';
import { notFound } from '../errors.ts';
import { Blocking, buildGraph } from './build-graph.ts';
import { evaluateCandidate, loadCandidates, type UnappliedChange } from './candidates.ts';
import type { PriorityBreakdown, PriorityConfig } from './priority.ts';
import { passRebuildPolicy, type RebuildPolicy } from './rebuild-policy.ts';
import { changedDependencies } from './scheduler.ts';

export interface PackageSchedule {
  collection: string;
  package: string;
  priority: PriorityBreakdown;
  threshold: number;
  /** Empty when the next scheduler tick may queue it (caps permitting). */
  notScheduledBecause: string[];
  unappliedChanges: UnappliedChange[];
  lastBuild: { id: number; outcome: string | null; finishedAt: Date | null } | null;
  activeBuild: { id: number; state: string } | null;
}

export async function packageSchedule(db: Db, collection: string, name: string, config: PriorityConfig, now = new Date(), policy: RebuildPolicy = passRebuildPolicy): Promise<PackageSchedule> {
  const pkg = await db.selectFrom('packages as p').innerJoin('collections as c', 'c.id', 'p.collection_id')
    .select('p.id').where('c.name', '=', collection).where('p.name', '=', name).executeTakeFirst();
  if (!pkg) throw notFound('package', `${collection}/${name}`);
  const [row] = await loadCandidates(db, [pkg.id]);
  const candidate = evaluateCandidate(row!, config, now);
  if (row!.snapshot_id !== null && row!.resolved) {
    const active = await db.selectFrom('builds as b').innerJoin('packages as p', 'p.id', 'b.package_id').select('p.name')
      .where('p.collection_id', '=', row!.collection_id).where('b.state', 'in', ['queued', 'running']).where('p.id', '<>', pkg.id).execute();
    if (active.length) {
      const blocked = new Blocking(await buildGraph(db, row!.collection_id, row!.snapshot_id), active.map((a) => a.name)).reason(name);
      if (blocked) candidate.reasons.push(blocked);
    }
    // The scheduler asks the rebuild policy about dependency changes only (a wave gates per batch).
    if (row!.changes.length && row!.wave_id === null) {
      const verdict = await policy(db, changedDependencies(candidate));
      if (!verdict.allowed) candidate.reasons.push(verdict.reason);
    }
  }
  return {
    collection,
    package: name,
    priority: candidate.priority,
    threshold: config.threshold,
    notScheduledBecause: candidate.reasons,
    unappliedChanges: row!.changes,
    lastBuild: row!.last_build_id === null ? null : { id: row!.last_build_id, outcome: row!.last_outcome, finishedAt: row!.last_finished_at },
    activeBuild: row!.active_build_id === null ? null : { id: row!.active_build_id, state: row!.active_build_state! },
  };
}

export async function whyNotScheduled(db: Db, collection: string, name: string, config: PriorityConfig, now = new Date(), policy: RebuildPolicy = passRebuildPolicy): Promise<string[]> {
  return (await packageSchedule(db, collection, name, config, now, policy)).notScheduledBecause;
}
