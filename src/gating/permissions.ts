/**
 * Who may post results or waivers for a testcase (table gating_permissions). With no row for an
 * action, the route's scope is enough; otherwise some row whose glob matches the testcase must
 * name the user, the token, or one of the token's scopes. Admins may always. Admins grant and
 * revoke rows through /api/gating/permissions.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { GatingAction, GatingPermissionsTable, TokenScope } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput, notFound } from '../errors.ts';
import type { AuthContext } from '../users/service.ts';
import { globMatches } from './policies.ts';

export const gatingActions: readonly GatingAction[] = ['result', 'waive'];

export type PermissionRow = Selectable<GatingPermissionsTable>;

type Grant = Pick<PermissionRow, 'testcase_glob' | 'users' | 'scopes' | 'token_ids'>;

/** Decides permission questions for one action against one read of the table. */
export type PermissionCheck = (auth: AuthContext, testcases: string[]) => RippleError | null;

export function permissionCheckOf(action: GatingAction, rows: Grant[]): PermissionCheck {
  return (auth, testcases) => {
    if (rows.length === 0 || (auth.user.is_admin && auth.scopes.includes('admin'))) return null;
    for (const testcase of new Set(testcases)) {
      const allowed = rows.some((r) => globMatches(r.testcase_glob, testcase)
        && (r.users.includes(auth.user.name) || r.token_ids.includes(auth.tokenId) || r.scopes.some((s) => auth.scopes.includes(s))));
      if (!allowed) {
        return new RippleError(ErrorCode.Forbidden,
          `user '${auth.user.name}' may not ${action === 'waive' ? 'waive' : 'post results for'} testcase '${testcase}' (see GET /api/gating/permissions)`,
          { field: 'testcase', testcase });
      }
    }
    return null;
  };
}

/** bigint[] arrives as text from node-postgres (only scalar bigints are parsed, see db/database.ts). */
const withTokenIds = <T extends { token_ids: unknown[] }>(row: T): T => ({ ...row, token_ids: row.token_ids.map(Number) });

export async function loadPermissionCheck(db: Db, action: GatingAction): Promise<PermissionCheck> {
  const rows = await db.selectFrom('gating_permissions').select(['testcase_glob', 'users', 'scopes', 'token_ids']).where('action', '=', action).execute();
  return permissionCheckOf(action, rows.map(withTokenIds));
}

export async function assertMay(db: Db, auth: AuthContext, action: GatingAction, testcases: string[]): Promise<void> {
  const denied = (await loadPermissionCheck(db, action))(auth, testcases);
  if (denied) throw denied;
}

export interface NewPermission {
  action: GatingAction;
  testcaseGlob: string;
  users?: string[];
  scopes?: TokenScope[];
  tokenIds?: number[];
  comment?: string;
}

/** Adds a grant; the users and tokens it names must exist (a typo would silently allow nobody). */
export async function addPermission(db: Db, grant: NewPermission, grantedBy: string | null = null): Promise<PermissionRow> {
  const users = [...new Set(grant.users ?? [])];
  const tokenIds = [...new Set(grant.tokenIds ?? [])];
  const scopes = [...new Set(grant.scopes ?? [])];
  if (users.length + tokenIds.length + scopes.length === 0) throw invalidInput('users', 'name at least one of users, tokens or scopes');
  if (users.length) {
    const known = new Set((await db.selectFrom('users').select('name').where('name', 'in', users).execute()).map((u) => u.name));
    const unknown = users.find((u) => !known.has(u));
    if (unknown !== undefined) throw invalidInput('users', `user '${unknown}' does not exist`);
  }
  if (tokenIds.length) {
    const known = new Set((await db.selectFrom('api_tokens').select('id').where('id', 'in', tokenIds).where('revoked_at', 'is', null).execute()).map((t) => t.id));
    const unknown = tokenIds.find((t) => !known.has(t));
    if (unknown !== undefined) throw invalidInput('tokens', `token ${unknown} does not exist or is revoked`);
  }
  return db.insertInto('gating_permissions').values({
    action: grant.action, testcase_glob: grant.testcaseGlob, users, scopes, token_ids: tokenIds, granted_by: grantedBy, comment: grant.comment ?? '',
  }).returningAll().executeTakeFirstOrThrow().then(withTokenIds);
}

export async function listPermissions(db: Db, filter: { action?: GatingAction } = {}): Promise<PermissionRow[]> {
  let query = db.selectFrom('gating_permissions').selectAll();
  if (filter.action) query = query.where('action', '=', filter.action);
  return (await query.orderBy('id').execute()).map(withTokenIds);
}

/** Removes a grant; returns the removed row. */
export async function revokePermission(db: Db, id: number): Promise<PermissionRow> {
  const row = await db.deleteFrom('gating_permissions').where('id', '=', id).returningAll().executeTakeFirst();
  if (!row) throw notFound('gating permission', String(id));
  return withTokenIds(row);
}

export const permissionJson = (p: PermissionRow) => ({
  id: p.id,
  action: p.action,
  testcase_glob: p.testcase_glob,
  users: p.users,
  scopes: p.scopes,
  tokens: p.token_ids,
  granted_by: p.granted_by,
  comment: p.comment,
  created_at: p.created_at.toISOString(),
});
