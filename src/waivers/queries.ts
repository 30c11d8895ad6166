/**
 * Reading waivers (WaiverDB model). "Not obsolete" means the newest row per (subject_type,
 * subject_identifier, testcase, product_version, scenario): revocations (waived=false) included.
 */
import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WaiversTable } from '../db/schema.ts';

/** A waivers row as read here: the timestamp comes back as WaiverDB's naive-UTC ISO text. */
export type WaiverRow = Omit<Selectable<WaiversTable>, 'timestamp'> & { timestamp: string };

/** `w` is waivers (text, for statements built without kysely too). */
export const waiverColumnsText = `
  w.id, w.subject_type, w.subject_identifier, w.testcase, w.username, w.proxied_by, w.product_version, w.waived,
  w.scenario, w.comment, to_char(w.timestamp at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as timestamp`;
export const waiverColumns = sql.raw(waiverColumnsText);

export interface WaiverFilter {
  subject_type?: string;
  subject_identifier?: string;
  testcase?: string;
  /** `null` selects waivers without a scenario. */
  scenario?: string | null;
  product_version?: string;
  username?: string;
  proxied_by?: string;
  since?: { start: Date; end?: Date };
}

function filterCondition(filter: WaiverFilter): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [sql`true`];
  for (const key of ['subject_type', 'subject_identifier', 'testcase', 'product_version', 'username', 'proxied_by'] as const) {
    if (filter[key] !== undefined) conditions.push(sql`${sql.ref(`w.${key}`)} = ${filter[key]}`);
  }
  if (filter.scenario === null) conditions.push(sql`w.scenario is null`);
  else if (filter.scenario !== undefined) conditions.push(sql`w.scenario = ${filter.scenario}`);
  if (filter.since) {
    conditions.push(sql`w.timestamp >= ${filter.since.start}`);
    if (filter.since.end) conditions.push(sql`w.timestamp <= ${filter.since.end}`);
  }
  return sql`(${sql.join(conditions, sql` and `)})`;
}

/**
 * Waivers matching any of `filters` (AND inside a filter, OR across; none = all), newest first.
 * Obsolete rows are dropped unless asked for; `page` limits the rows and returns the total too.
 */
export async function findWaivers(db: Db, filters: WaiverFilter[], options: { includeObsolete: boolean; page?: { offset: number; limit: number } }):
Promise<{ rows: WaiverRow[]; total: number }> {
  const where = filters.length ? sql.join(filters.map(filterCondition), sql` or `) : sql`true`;
  // The newest row per key decides obsolescence, whatever the filters select (a filter on
  // username must not resurrect a waiver someone else has since revoked).
  const visible = options.includeObsolete ? sql`true` : sql`not exists (
      select 1 from waivers n where n.subject_type = w.subject_type and n.subject_identifier = w.subject_identifier
        and n.testcase = w.testcase and n.product_version = w.product_version
        and n.scenario is not distinct from w.scenario and n.id > w.id)`;
  const paging = options.page ? sql`limit ${options.page.limit} offset ${options.page.offset}` : sql``;
  const { rows } = await sql<WaiverRow & { total: number }>`
    select ${waiverColumns}, (count(*) over ())::int as total from waivers w
    where (${where}) and ${visible} order by w.id desc ${paging}`.execute(db);
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && options.page && options.page.offset > 0) {
    const { rows: counted } = await sql<{ total: number }>`select count(*)::int as total from waivers w where (${where}) and ${visible}`.execute(db);
    total = counted[0]!.total;
  }
  return { rows: rows.map(({ total: _total, ...row }) => row), total };
}

export async function getWaiver(db: Db, id: number): Promise<WaiverRow | undefined> {
  const { rows } = await sql<WaiverRow>`select ${waiverColumns} from waivers w where w.id = ${id}`.execute(db);
  return rows[0];
}

/** WaiverDB's representation, plus `covers_all_scenarios` (true when scenario is null). */
export function waiverJson(w: WaiverRow) {
  return {
    id: w.id,
    subject_type: w.subject_type,
    subject_identifier: w.subject_identifier,
    subject: { type: w.subject_type, item: w.subject_identifier },
    testcase: w.testcase,
    scenario: w.scenario,
    covers_all_scenarios: w.scenario === null,
    username: w.username,
    proxied_by: w.proxied_by,
    product_version: w.product_version,
    waived: w.waived,
    comment: w.comment,
    timestamp: w.timestamp,
  };
}
