/**
 * Who may post results or waivers for a testcase (table gating_permissions). With no row for an
 * action, the route's scope is enough; otherwise some row whose glob matches the testcase must
 * name the user or one of the token's scopes. Admins may always.
 */
import type { Db } from '../db/database.ts';
import type { GatingAction, TokenScope } from '../db/schema.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import type { AuthContext } from '../users/service.ts';
import { globMatches } from './policies.ts';

export async function assertMay(db: Db, auth: AuthContext, action: GatingAction, testcases: string[]): Promise<void> {
  if (auth.user.is_admin && auth.scopes.includes('admin')) return;
  const rows = await db.selectFrom('gating_permissions').select(['testcase_glob', 'users', 'scopes']).where('action', '=', action).execute();
  if (rows.length === 0) return;
  for (const testcase of new Set(testcases)) {
    const allowed = rows.some((r) => globMatches(r.testcase_glob, testcase)
      && (r.users.includes(auth.user.name) || r.scopes.some((s) => auth.scopes.includes(s))));
    if (!allowed) {
      throw new RippleError(ErrorCode.Forbidden, `user '${auth.user.name}' may not ${action === 'waive' ? 'waive' : 'post results for'} testcase '${testcase}' (see gating_permissions)`, { field: 'testcase', testcase });
    }
  }
}

export async function addPermission(db: Db, action: GatingAction, testcaseGlob: string, grant: { users?: string[]; scopes?: TokenScope[] }): Promise<void> {
  await db.insertInto('gating_permissions').values({ action, testcase_glob: testcaseGlob, users: grant.users ?? [], scopes: grant.scopes ?? [] }).execute();
}
