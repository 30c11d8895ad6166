/**
 * `ripple.buildability` results: the ingest pipeline records, in its own transaction, one result
 * per package whose buildability is new (its first resolution) or changed since the previous
 * resolution. Unchanged packages get none, so regenerating a 34,000-package distribution writes
 * results only for the packages that broke or recovered; the latest result is still the current
 * state, which is what decisions read. Stored in bulk, with `result.new` and `decision.update`.
 */
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { defaultPolicies, type PolicySet } from '../gating/policies.ts';
import { maxText } from '../http/validation.ts';
import type { ResultRow } from './queries.ts';
import { maxDataValue, storeResults, type NewResult } from './service.ts';

export const buildabilityTestcase = 'ripple.buildability';

export interface BuildabilitySnapshot {
  collection: string;
  /** The snapshot's sequence number within the collection. */
  sequence: number;
  snapshotId: number;
}

export interface PackageResolution {
  name: string;
  resolved: boolean;
  /** Buildability at the previous resolution; null when this is the package's first. */
  previousResolved: boolean | null;
  /** Why it does not resolve (the solver's sentences per problem). */
  problems: { sentences: string[] }[];
}

const bounded = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The result for one package, or null when its buildability did not change. */
export function buildabilityResult(snapshot: BuildabilitySnapshot, p: PackageResolution): NewResult | null {
  if (p.previousResolved === p.resolved) return null;
  const problem = p.problems[0]?.sentences[0];
  return {
    testcase: { name: buildabilityTestcase },
    outcome: p.resolved ? 'PASSED' : 'FAILED',
    note: p.resolved ? `build dependencies resolve in snapshot ${snapshot.sequence}`
      : bounded(problem ?? `build dependencies do not resolve in snapshot ${snapshot.sequence}`, maxText),
    refUrl: `/api/collections/${encodeURIComponent(snapshot.collection)}/packages/${encodeURIComponent(p.name)}`,
    groups: [],
    data: {
      item: [bounded(`${snapshot.collection}/${p.name}`, maxDataValue)],
      type: ['ripple_package'],
      collection: [snapshot.collection],
      package: [bounded(p.name, maxDataValue)],
      snapshot: [String(snapshot.sequence)],
      snapshot_id: [String(snapshot.snapshotId)],
      previous: [p.previousResolved === null ? 'none' : p.previousResolved ? 'resolved' : 'unresolved'],
      problems: [String(p.problems.length)],
    },
  };
}

/**
 * Records `ripple.buildability` for the packages of a freshly resolved snapshot whose
 * buildability is new or changed (the rest are skipped), in `trx`, with their events. Appends
 * events, so call it late in the transaction.
 */
export async function recordBuildabilityResults(trx: Trx, snapshot: BuildabilitySnapshot, packages: PackageResolution[],
  policies: PolicySet = defaultPolicies()): Promise<ResultRow[]> {
  const inputs = packages.map((p) => buildabilityResult(snapshot, p)).filter((r): r is NewResult => r !== null);
  if (inputs.length === 0) return [];
  // The decisions are evaluated before and after the insert by a prepared statement. Its generic
  // plan, made while result_data looked empty (a first ingest), scans result_data once per subject
  // after tens of thousands of rows arrived in this transaction: about a minute instead of 3 s for
  // 8,559 packages. Custom plans see the table's current size (docs/benchmarks.md).
  await sql`set local plan_cache_mode = force_custom_plan`.execute(trx);
  return storeResults(trx, inputs, policies);
}
