/**
 * Users and API tokens. A token is `rpl_` + 32 random bytes in base64url; only its SHA-256 is
 * stored, so the plaintext is shown once, at creation. Used by the HTTP auth middleware and the CLI.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ApiToken, TokenScope, User } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput, notFound } from '../errors.ts';
import { globalNamespace } from '../collections/service.ts';
import { expectArray, expectBoolean, expectEnum, expectString, maxName, maxText } from '../http/validation.ts';

export const tokenScopes: readonly TokenScope[] = ['admin', 'maintainer', 'ci'];
const tokenPrefix = 'rpl_';
/** last_used_at is refreshed at most this often, so authenticated reads rarely write. */
const lastUsedResolutionMs = 60_000;

export interface AuthContext {
  user: User;
  tokenId: number;
  /** Effective scopes: `admin` only when the user is an admin too; admin implies the others. */
  scopes: TokenScope[];
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export interface NewUserInput {
  name: string;
  email?: string | null;
  isAdmin?: boolean;
}

export async function createUser(db: Db, input: NewUserInput): Promise<User> {
  const name = expectString(input.name, 'name', { max: maxName, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, patternText: 'letters, digits, . _ and -' });
  if (name === globalNamespace) throw invalidInput('name', `'${globalNamespace}' is reserved: it names the namespace of global package groups`);
  const email = input.email == null ? null : expectString(input.email, 'email', { max: 320, pattern: /^[^\s@]+@[^\s@]+$/, patternText: 'an address like name@example.org' });
  const isAdmin = input.isAdmin === undefined ? false : expectBoolean(input.isAdmin, 'isAdmin');
  const existing = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) throw new RippleError(ErrorCode.Conflict, `user '${name}' already exists`, { field: 'name' });
  return db.insertInto('users').values({ name, email, is_admin: isAdmin }).returningAll().executeTakeFirstOrThrow();
}

export async function getUser(db: Db, name: string): Promise<User> {
  const user = await db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  if (!user) throw notFound('user', name);
  return user;
}

export interface CreatedToken {
  token: string;
  id: number;
  scopes: TokenScope[];
  expiresAt: Date | null;
}

/** Creates a token for `user`; returns the plaintext, which is never retrievable again. */
export async function createToken(db: Db, user: User, scopes: unknown, description = '', expiresAt?: Date | null): Promise<CreatedToken> {
  const wanted = [...new Set(expectArray(scopes, 'scopes', (v, f) => expectEnum(v, f, tokenScopes), { min: 1, max: tokenScopes.length }))];
  if (wanted.includes('admin') && !user.is_admin) {
    throw new RippleError(ErrorCode.Forbidden, `user '${user.name}' is not an admin, so a token for it cannot have the admin scope`, { field: 'scopes' });
  }
  expectString(description, 'description', { max: maxText });
  if (expiresAt && expiresAt.getTime() <= Date.now()) throw invalidInput('expiresAt', 'expiresAt must be in the future');
  const token = tokenPrefix + randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('api_tokens')
    .values({ user_id: user.id, token_sha256: sha256Hex(token), scopes: wanted, description, expires_at: expiresAt ?? null })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { token, id: row.id, scopes: wanted, expiresAt: row.expires_at };
}

export async function getToken(db: Db, id: number): Promise<ApiToken> {
  const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('token', String(id));
  return row;
}

/** Revokes token `id`; revoking twice is harmless. */
export async function revokeToken(db: Db, id: number): Promise<void> {
  await getToken(db, id);
  await db.updateTable('api_tokens').set({ revoked_at: sql<Date>`now()` }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function listTokens(db: Db, userId: number): Promise<Omit<ApiToken, 'token_sha256'>[]> {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'scopes', 'description', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .orderBy('id')
    .execute();
}

interface TokenRow {
  token_id: number; token_sha256: string; scopes: TokenScope[]; last_used_at: Date | null; expires_at: Date | null; revoked_at: Date | null;
  id: number; name: string; email: string | null; is_admin: boolean; created_at: Date;
}

/**
 * Token lookups of requests arriving together share one statement (and one last_used_at update):
 * under load every authenticated request would otherwise cost its own round trip, a third of the
 * database time of a posted result. Nothing is cached: the next lookup sees a revocation.
 */
class TokenLookups {
  readonly #db: Db;
  #waiting = new Map<string, { resolve: (row: TokenRow | undefined) => void; reject: (error: unknown) => void }[]>();

  constructor(db: Db) {
    this.#db = db;
  }

  find(hash: string): Promise<TokenRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) setImmediate(() => void this.#flush());
      const list = this.#waiting.get(hash);
      if (list) list.push({ resolve, reject });
      else this.#waiting.set(hash, [{ resolve, reject }]);
    });
  }

  async #flush(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = new Map();
    try {
      const rows = await this.#db
        .selectFrom('api_tokens')
        .innerJoin('users', 'users.id', 'api_tokens.user_id')
        .select(['api_tokens.id as token_id', 'api_tokens.token_sha256', 'api_tokens.scopes', 'api_tokens.last_used_at', 'api_tokens.expires_at', 'api_tokens.revoked_at'])
        .select(['users.id', 'users.name', 'users.email', 'users.is_admin', 'users.created_at'])
        .where('api_tokens.token_sha256', '=', sql<string>`any(${[...waiting.keys()]}::text[])`)
        .execute();
      const now = Date.now();
      const stale = rows.filter((r) => usable(r, now) && (!r.last_used_at || now - r.last_used_at.getTime() >= lastUsedResolutionMs)).map((r) => r.token_id);
      if (stale.length) await this.#db.updateTable('api_tokens').set({ last_used_at: sql<Date>`now()` }).where('id', 'in', stale).execute();
      const byHash = new Map(rows.map((r) => [r.token_sha256, r]));
      for (const [hash, list] of waiting) for (const w of list) w.resolve(byHash.get(hash));
    } catch (error) {
      for (const list of waiting.values()) for (const w of list) w.reject(error);
    }
  }
}

const tokenLookups = new WeakMap<Db, TokenLookups>();
const usable = (row: TokenRow, now: number) => !row.revoked_at && !(row.expires_at && row.expires_at.getTime() <= now);

/** The user and scopes behind a plaintext token; null when unknown, revoked or expired. */
export async function authenticate(db: Db, token: string): Promise<AuthContext | null> {
  if (!token.startsWith(tokenPrefix) || token.length > 200) return null;
  let lookups = tokenLookups.get(db);
  if (!lookups) tokenLookups.set(db, (lookups = new TokenLookups(db)));
  const row = await lookups.find(sha256Hex(token));
  if (!row || !usable(row, Date.now())) return null;
  const user: User = { id: row.id, name: row.name, email: row.email, is_admin: row.is_admin, created_at: row.created_at };
  const scopes = row.scopes.includes('admin') && user.is_admin ? [...tokenScopes] : row.scopes.filter((s) => s !== 'admin');
  return { user, tokenId: row.token_id, scopes };
}
