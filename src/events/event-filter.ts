/**
 * Websocket subscription filters: `{types, collection, package, group, mine}`, all optional and
 * combined with AND. `group` and `mine` become a set of package names, loaded when the filter is
 * compiled and reloaded after a `group.change` event (membership or maintainers moved).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { getGroup, parseGroupRef } from '../collections/service.ts';
import { expectArray, expectBoolean, expectKeys, expectObject, expectPackageName, expectString, maxName, optional } from '../http/validation.ts';
import type { AuthContext } from '../users/service.ts';
import type { Event } from './event-log.ts';

export interface EventFilterSpec {
  /** Exact types or prefixes written `package.*`. */
  types?: string[];
  /** Collection name. */
  collection?: string;
  package?: string;
  /** Group ref `namespace/name` or `global/name`. */
  group?: string;
  /** Packages of groups the caller owns or maintains, plus their subscriptions. */
  mine?: boolean;
}

const typePattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/;

/** Validates an event type filter list (`field` names it in errors). */
export const expectTypeFilters = (value: unknown, field: string): string[] =>
  expectArray(value, field, (v, f) => expectString(v, f, { min: 1, max: maxName, pattern: typePattern, patternText: 'dotted lowercase words, optionally ending in .* (package.*)' }), { max: 50 });

export function parseFilterSpec(value: unknown, field = 'filter'): EventFilterSpec {
  const body = expectObject(value, field);
  expectKeys(body, ['types', 'collection', 'package', 'group', 'mine'], field);
  return {
    types: optional(body, 'types', expectTypeFilters, field),
    collection: optional(body, 'collection', (v, f) => expectString(v, f, { min: 1, max: maxName }), field),
    package: optional(body, 'package', expectPackageName, field),
    group: optional(body, 'group', (v, f) => expectString(v, f, { min: 1, max: 2 * maxName + 1 }), field),
    mine: optional(body, 'mine', expectBoolean, field),
  };
}

export const typeMatches = (types: readonly string[], type: string) =>
  types.some((t) => (t.endsWith('.*') ? type.startsWith(t.slice(0, -1)) : t === type));

/** Package names the user cares about: groups they own or maintain, and their subscriptions. */
export async function packagesOfUser(db: Db, userId: number): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`
    select m.package_name as name from package_group_members m join package_groups g on g.id = m.group_id
    where g.namespace_user_id = ${userId}
       or exists (select 1 from package_group_maintainers gm where gm.group_id = g.id and gm.user_id = ${userId})
       or exists (select 1 from subscriptions s where s.group_id = g.id and s.user_id = ${userId})
    union
    select package_name from subscriptions where user_id = ${userId} and package_name is not null`.execute(db);
  return new Set(rows.map((r) => r.name));
}

export class EventFilter {
  readonly spec: EventFilterSpec;
  #groupMembers: Set<string> | undefined;
  #mine: Set<string> | undefined;
  readonly #db: Db;
  readonly #auth: AuthContext | null;

  private constructor(db: Db, spec: EventFilterSpec, auth: AuthContext | null) {
    this.#db = db;
    this.spec = spec;
    this.#auth = auth;
  }

  /** Checks the spec against the database (the group exists, `mine` has a user) and loads the package sets. */
  static async compile(db: Db, spec: EventFilterSpec, auth: AuthContext | null): Promise<EventFilter> {
    if (spec.mine && !auth) throw new RippleError(ErrorCode.Unauthorized, "filter.mine needs an authenticated user: connect with ?token=<API token> or send {\"op\":\"auth\",\"token\":...} first", { field: 'filter.mine' });
    if (spec.group !== undefined) parseGroupRef(spec.group, 'filter.group');
    const filter = new EventFilter(db, spec, auth);
    await filter.reload();
    return filter;
  }

  async reload(): Promise<void> {
    if (this.spec.group !== undefined) this.#groupMembers = new Set((await getGroup(this.#db, parseGroupRef(this.spec.group, 'filter.group'))).members);
    if (this.spec.mine) this.#mine = await packagesOfUser(this.#db, this.#auth!.user.id);
  }

  /** Whether `event` may change the package sets (then call reload). */
  affectsPackageSets(event: Event): boolean {
    return event.type === 'group.change' && (this.spec.group !== undefined || this.spec.mine === true);
  }

  matches(event: Event): boolean {
    const { types, collection } = this.spec;
    if (types?.length && !typeMatches(types, event.type)) return false;
    if (collection !== undefined && event.payload.collection !== collection) return false;
    if (this.spec.package !== undefined && event.packageName !== this.spec.package) return false;
    if (this.#groupMembers && (event.packageName === null || !this.#groupMembers.has(event.packageName))) return false;
    if (this.#mine && (event.packageName === null || !this.#mine.has(event.packageName))) return false;
    return true;
  }
}
