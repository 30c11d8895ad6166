/**
 * Waivers: validation of WaiverDB v1.0 bodies, proxy waiving, and the append with its events
 * (`waiver.new`, `decision.update`) in one transaction.
 */
import type { Db, Trx } from '../db/database.ts';
import { withTransaction } from '../db/database.ts';
import { ErrorCode, RippleError, invalidInput } from '../errors.ts';
import { appendEvents, type NewEvent } from '../events/event-log.ts';
import { trackDecisionChanges } from '../gating/decision-updates.ts';
import type { PolicySet } from '../gating/policies.ts';
import { assertMay } from '../gating/permissions.ts';
import { findSubjectType, makeSubject } from '../gating/subject-types.ts';
import { expectBoolean, expectObject, expectString, maxName, maxText, type JsonObject } from '../http/validation.ts';
import { expectTestcaseName } from '../results/service.ts';
import type { AuthContext } from '../users/service.ts';
import { getWaiver, waiverJson, type WaiverRow } from './queries.ts';

export interface NewWaiver {
  subject_type: string;
  subject_identifier: string;
  testcase: string;
  product_version: string;
  waived: boolean;
  scenario: string | null;
  comment: string;
  /** Whom to waive on behalf of (admins only). */
  username?: string;
}

const text = (v: unknown, f: string) => expectString(v, f, { min: 1, max: maxName });

/** One WaiverDB POST body; the legacy `subject: {type, item}` form is accepted too. */
export function parseWaiver(value: unknown, field: string): NewWaiver {
  const body = expectObject(value, field);
  const at = (k: string) => (field === 'body' ? k : `${field}.${k}`);
  let subjectType = body.subject_type;
  let subjectIdentifier = body.subject_identifier;
  if (body.subject !== undefined && subjectType === undefined) {
    const subject = expectObject(body.subject, at('subject'));
    subjectType = subject.type;
    subjectIdentifier = subject.item;
  }
  for (const [key, v] of [['subject_type', subjectType], ['subject_identifier', subjectIdentifier], ['testcase', body.testcase], ['product_version', body.product_version], ['waived', body.waived], ['comment', body.comment]] as const) {
    if (v === undefined || v === null) throw invalidInput(at(key), `${at(key)} is required`);
  }
  const type = text(subjectType, at('subject_type'));
  // The subject type must be one decisions know, or the waiver would silently waive nothing.
  if (!findSubjectType(type)) makeSubject(type, '', at('subject_type'));
  return {
    subject_type: type,
    subject_identifier: text(subjectIdentifier, at('subject_identifier')),
    testcase: expectTestcaseName(body.testcase, at('testcase')),
    product_version: text(body.product_version, at('product_version')),
    waived: expectBoolean(body.waived, at('waived')),
    scenario: body.scenario == null ? null : text(body.scenario, at('scenario')),
    comment: expectString(body.comment, at('comment'), { min: 1, max: maxText }),
    username: body.username == null ? undefined : text(body.username, at('username')),
  };
}

async function storeWaiver(trx: Trx, waiver: NewWaiver, auth: AuthContext, policies: PolicySet): Promise<{ row: WaiverRow; events: NewEvent[] }> {
  const subject = makeSubject(waiver.subject_type, waiver.subject_identifier, 'subject_type');
  const affected = { subjects: [subject], testcase: waiver.testcase, productVersions: [waiver.product_version], only: waiver.product_version };
  const { value: id, events } = await trackDecisionChanges(trx, policies, [affected], async () => {
    const row = await trx.insertInto('waivers').values({
      subject_type: waiver.subject_type,
      subject_identifier: waiver.subject_identifier,
      testcase: waiver.testcase,
      product_version: waiver.product_version,
      waived: waiver.waived,
      scenario: waiver.scenario,
      comment: waiver.comment,
      username: waiver.username ?? auth.user.name,
      proxied_by: waiver.username === undefined ? null : auth.user.name,
    }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  });
  const row = (await getWaiver(trx, id))!;
  return { row, events: [{ type: 'waiver.new', packageName: subject.packageName, payload: waiverJson(row) }, ...events] };
}

/** Checks permissions, then stores every waiver and its events in one transaction. */
export async function createWaivers(db: Db, waivers: NewWaiver[], auth: AuthContext, policies: PolicySet): Promise<WaiverRow[]> {
  const proxied = waivers.find((w) => w.username !== undefined && w.username !== auth.user.name);
  if (proxied && !(auth.user.is_admin && auth.scopes.includes('admin'))) {
    throw new RippleError(ErrorCode.Forbidden, `only admins may waive on behalf of another user ('${proxied.username}')`, { field: 'username' });
  }
  await assertMay(db, auth, 'waive', waivers.map((w) => w.testcase));
  return withTransaction(db, async (trx) => {
    const rows: WaiverRow[] = [];
    const events: NewEvent[] = [];
    for (const waiver of waivers) {
      const stored = await storeWaiver(trx, waiver.username === auth.user.name ? { ...waiver, username: undefined } : waiver, auth, policies);
      rows.push(stored.row);
      events.push(...stored.events);
    }
    await appendEvents(trx, events);
    return rows;
  });
}

export const parseWaiverBody = (body: unknown): NewWaiver[] =>
  Array.isArray(body) ? body.map((w, i) => parseWaiver(w, `body[${i}]`)) : [parseWaiver(body as JsonObject, 'body')];
