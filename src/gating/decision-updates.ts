/**
 * `decision.update` events: the decisions a new result or waiver can change are computed in the
 * writing transaction right before and right after the write; each that changed yields an event
 * with the new decision and `previous`. Transactional, so none is lost and none is sent for a
 * write that rolled back (Greenwave computes these after the fact, from messages that can be lost).
 */
import type { Trx } from '../db/database.ts';
import type { NewEvent } from '../events/event-log.ts';
import { evaluateDecision, fetchEvidence, type Decision, type DecisionRequest } from './decision.ts';
import { globMatches, type PolicySet } from './policies.ts';
import type { Subject } from './subject-types.ts';

export interface AffectedDecisions {
  subjects: Subject[];
  testcase: string;
  /** Product versions named by the change itself (result data, the waiver's). */
  productVersions: string[];
  /** A waiver affects its own product version only. */
  only?: string;
}

interface Gate {
  subject: Subject;
  productVersion: string;
  decisionContexts: string[];
}

/** (subject, product version) pairs with the decision contexts whose policies require the changed testcases, merged across changes. */
export function affectedGates(policies: PolicySet, changes: AffectedDecisions[]): Gate[] {
  const gates = new Map<string, { subject: Subject; productVersion: string; decisionContexts: Set<string> }>();
  for (const affected of changes) {
    for (const subject of affected.subjects) {
      const relevant = policies.policies.filter((p) => (p.subjectType === subject.type || subject.subjectType.aliases.includes(p.subjectType))
        && p.rules.some((r) => r.rule === 'PassingTestCaseRule' && r.testCaseName === affected.testcase));
      if (relevant.length === 0) continue;
      const candidates = affected.only !== undefined ? [affected.only] : new Set([
        ...affected.productVersions, ...subject.subjectType.productVersions(subject.identifier),
        ...relevant.flatMap((p) => p.productVersions.filter((v) => !/[*?[]/.test(v))),
      ]);
      for (const productVersion of candidates) {
        const contexts = relevant.filter((p) => p.productVersions.some((g) => globMatches(g, productVersion))).flatMap((p) => p.decisionContexts);
        if (contexts.length === 0) continue;
        const key = `${subject.type}\0${subject.identifier}\0${productVersion}`;
        const gate = gates.get(key) ?? { subject, productVersion, decisionContexts: new Set<string>() };
        for (const context of contexts) gate.decisionContexts.add(context);
        gates.set(key, gate);
      }
    }
  }
  return [...gates.values()].map((g) => ({ ...g, decisionContexts: [...g.decisionContexts].sort() }));
}

const requestFor = (gate: Gate, decisionContext: string): DecisionRequest => ({
  productVersion: gate.productVersion, decisionContexts: [decisionContext], rules: null, subjects: [gate.subject],
  verbose: false, when: null, ignoreResults: [], ignoreWaivers: [],
});

/** Subjects per evidence query: bounds each statement and its answer. */
const evidenceChunk = 500;

/** Every gate's decisions: one evidence query per product version (and chunk of subjects), not per gate. */
async function decisionsAt(trx: Trx, policies: PolicySet, gates: Gate[]): Promise<Decision[][]> {
  const out: Decision[][] = new Array(gates.length);
  const byVersion = new Map<string, number[]>();
  gates.forEach((gate, g) => {
    const indexes = byVersion.get(gate.productVersion);
    if (indexes) indexes.push(g);
    else byVersion.set(gate.productVersion, [g]);
  });
  for (const [productVersion, indexes] of byVersion) {
    for (let at = 0; at < indexes.length; at += evidenceChunk) {
      const chunk = indexes.slice(at, at + evidenceChunk);
      const evidence = await fetchEvidence(trx, chunk.map((g) => gates[g]!.subject), productVersion);
      chunk.forEach((g, i) => {
        const gate = gates[g]!;
        out[g] = gate.decisionContexts.map((context) => evaluateDecision(policies, requestFor(gate, context), [evidence[i]!]));
      });
    }
  }
  return out;
}

const requirements = (d: Decision) => JSON.stringify([d.satisfied_requirements, d.unsatisfied_requirements]);

/**
 * Runs `write` between two evaluations of the decisions the changes affect; returns its value and
 * one update event per decision that changed. Several changes in one call are evaluated together
 * (a bulk write gets one event per changed decision, from before all of it to after all of it).
 */
export async function trackDecisionChanges<T>(trx: Trx, policies: PolicySet, changes: AffectedDecisions[], write: () => Promise<T>): Promise<{ value: T; events: NewEvent[] }> {
  const gates = affectedGates(policies, changes);
  const before = await decisionsAt(trx, policies, gates);
  const value = await write();
  const after = await decisionsAt(trx, policies, gates);
  const events: NewEvent[] = [];
  gates.forEach((gate, g) => gate.decisionContexts.forEach((decisionContext, c) => {
    const [previous, decision] = [before[g]![c]!, after[g]![c]!];
    if (requirements(previous) === requirements(decision)) return;
    events.push({
      type: 'decision.update',
      packageName: gate.subject.packageName,
      payload: {
        subject: { type: gate.subject.type, item: gate.subject.identifier },
        subject_type: gate.subject.type,
        subject_identifier: gate.subject.identifier,
        product_version: gate.productVersion,
        decision_context: decisionContext,
        decision,
        previous,
      },
    });
  }));
  return { value, events };
}
