/**
 * The rebuild policy: before dependents of a changed package are rebuilt (a dependency change, or
 * the next batch of a wave), a Greenwave decision about the changed package is consulted, so
 * nothing is rebuilt against a dependency that failed its own gating. The decision context is
 * configurable (`rebuildPolicyContext`, default `ripple_rebuild_dependents`, policy in
 * policies/ripple.yaml); the subject is `ripple_package` '<collection>/<source>', the product
 * version the collection name.
 *
 * Only changed packages tracked in the collection are asked about: nothing else has Ripple results,
 * and "no result" must not hold a whole archive back. No applicable policy means no gate.
 */
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { makeDecision, type Answer } from '../gating/decision.ts';
import { loadPolicyDirectory, type PolicySet } from '../gating/policies.ts';
import { makeSubject } from '../gating/subject-types.ts';
import { buildGraph } from './build-graph.ts';

export type PolicyVerdict = { allowed: true } | { allowed: false; reason: string };

export interface ChangedDependencies {
  collectionId: number;
  collection: string;
  snapshotId: number;
  /** Binary or source names that changed; binaries are mapped to their sources. */
  names: string[];
  /** The package about to be rebuilt (never gated on itself). */
  dependent?: string;
}

export type RebuildPolicy = (db: Db, change: ChangedDependencies) => Promise<PolicyVerdict>;

export const passRebuildPolicy: RebuildPolicy = async () => ({ allowed: true });

/** What an unsatisfied requirement says, briefly: "ripple.buildability (test-result-failed)". */
const requirementText = (answer: Answer) => `${String(answer.testcase ?? answer.type)} (${answer.type})`;

/**
 * The gating policy. `policies` is read on every check (loadPolicyDirectory re-reads only
 * changed files), so an edited policy or a new waiver takes effect on the next tick.
 */
export function gatingRebuildPolicy(context: string, policies: () => PolicySet): RebuildPolicy {
  return async (db, change) => {
    const graph = await buildGraph(db, change.collectionId, change.snapshotId);
    const sources = [...new Set(change.names.map((n) => graph.sourceOfBinary.get(n) ?? n))].filter((s) => s !== change.dependent).sort();
    if (sources.length === 0) return { allowed: true };
    const tracked = await db.selectFrom('packages').select('name')
      .where('collection_id', '=', change.collectionId).where('tracked', '=', true).where('name', 'in', sources).orderBy('name').execute();
    if (tracked.length === 0) return { allowed: true };
    let unsatisfied: Answer[];
    try {
      const decision = await makeDecision(db, policies(), {
        productVersion: change.collection, decisionContexts: [context], rules: null, verbose: false, when: null, ignoreResults: [], ignoreWaivers: [],
        subjects: tracked.map((t) => makeSubject('ripple_package', `${change.collection}/${t.name}`, 'subject')),
      });
      unsatisfied = decision.unsatisfied_requirements;
    } catch (error) {
      if (error instanceof RippleError && error.code === ErrorCode.NotFound) return { allowed: true };
      throw error;
    }
    if (unsatisfied.length === 0) return { allowed: true };
    const bySubject = new Map<string, string[]>();
    for (const answer of unsatisfied) {
      const name = String(answer.subject_identifier).slice(change.collection.length + 1);
      bySubject.set(name, [...(bySubject.get(name) ?? []), requirementText(answer)]);
    }
    return { allowed: false, reason: [...bySubject].map(([name, reqs]) => `waiting: ${name} failed gating: ${reqs.join(', ')}`).join('; ') };
  };
}

export const rebuildPolicyFromConfig = (config: Config): RebuildPolicy => (config.rebuildPolicyContext === ''
  ? passRebuildPolicy
  : gatingRebuildPolicy(config.rebuildPolicyContext, () => loadPolicyDirectory(config.policiesDir)));
