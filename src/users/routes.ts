/** HTTP routes of users and API tokens. */
import { ErrorCode, RippleError } from '../errors.ts';
import { caller, hasScope } from '../http/auth.ts';
import { s, type ApiRoutes } from '../http/api-routes.ts';
import { expectDate, expectKeys, expectString, maxName, nullable, optional, pathParam, readJsonBody } from '../http/validation.ts';
import { invalidInput } from '../errors.ts';
import { listGroups } from '../collections/service.ts';
import { createToken, createUser, getToken, getUser, listTokens, revokeToken, tokenScopes } from './service.ts';

const userSchema = s.object({ name: s.string(), email: s.nullable(s.string()), isAdmin: s.boolean(), createdAt: s.dateTime() });
const userView = (u: { name: string; email: string | null; is_admin: boolean; created_at: Date }) => ({ name: u.name, email: u.email, isAdmin: u.is_admin, createdAt: u.created_at });

export function registerUserRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'get', path: '/api/me', tag: 'users', summary: "The token's user, its scopes, tokens and groups", scope: 'any',
    response: s.object({ user: userSchema, scopes: s.array(s.enum(tokenScopes)), tokenId: s.integer(), tokens: s.array(s.object({ id: s.integer(), scopes: s.array(s.string()), description: s.string() })), groups: s.array(s.object({ namespace: s.nullable(s.string()), name: s.string() })) }),
    async handler(c) {
      const auth = caller(c);
      const tokens = await listTokens(c.var.db, auth.user.id);
      const groups = await listGroups(c.var.db, { namespace: auth.user.name });
      return c.json({
        user: userView(auth.user),
        scopes: auth.scopes,
        tokenId: auth.tokenId,
        tokens: tokens.map((t) => ({ id: t.id, scopes: t.scopes, description: t.description, createdAt: t.created_at, lastUsedAt: t.last_used_at, expiresAt: t.expires_at, revokedAt: t.revoked_at })),
        groups,
      });
    },
  });
  routes.add({
    method: 'post', path: '/api/users', tag: 'users', summary: 'Create a user', scope: 'admin', status: 201,
    body: s.object({ name: s.string(), email: s.nullable(s.string()), isAdmin: s.boolean() }, ['name']),
    response: userSchema,
    async handler(c) {
      const body = await readJsonBody(c);
      expectKeys(body, ['name', 'email', 'isAdmin'], '');
      if (body.name === undefined) throw invalidInput('name', 'name is required');
      return c.json(userView(await createUser(c.var.db, { name: body.name as string, email: body.email as string | null | undefined, isAdmin: body.isAdmin as boolean | undefined })), 201);
    },
  });
  routes.add({
    method: 'post', path: '/api/tokens', tag: 'users', summary: 'Create an API token for yourself (or, as admin, for anyone); the plaintext is shown once', scope: 'any', status: 201,
    body: s.object({ user: s.string(), scopes: s.array(s.enum(tokenScopes), { minItems: 1 }), description: s.string(), expiresAt: s.nullable(s.dateTime()) }, ['scopes']),
    response: s.object({ id: s.integer(), token: s.string({ description: 'rpl_...; store it now, it is never shown again' }), scopes: s.array(s.string()), expiresAt: s.nullable(s.dateTime()) }),
    async handler(c) {
      const auth = caller(c);
      const body = await readJsonBody(c);
      expectKeys(body, ['user', 'scopes', 'description', 'expiresAt'], '');
      const userName = optional(body, 'user', (v, f) => expectString(v, f, { min: 1, max: maxName })) ?? auth.user.name;
      if (userName !== auth.user.name && !hasScope(auth, 'admin')) {
        throw new RippleError(ErrorCode.Forbidden, 'only admins may create tokens for other users', { field: 'user' });
      }
      const user = userName === auth.user.name ? auth.user : await getUser(c.var.db, userName);
      // A non-admin token must not mint a token with more scopes than it has itself.
      if (!hasScope(auth, 'admin') && Array.isArray(body.scopes) && body.scopes.some((scope) => typeof scope === 'string' && !auth.scopes.includes(scope as never))) {
        throw new RippleError(ErrorCode.Forbidden, `this token has scopes ${auth.scopes.join(', ')} and cannot grant more`, { field: 'scopes' });
      }
      const description = optional(body, 'description', (v, f) => expectString(v, f)) ?? '';
      const expiresAt = optional(body, 'expiresAt', nullable(expectDate)) ?? null;
      return c.json(await createToken(c.var.db, user, body.scopes, description, expiresAt), 201);
    },
  });
  routes.add({
    method: 'delete', path: '/api/tokens/:id', tag: 'users', summary: 'Revoke a token (your own, or any as admin)', scope: 'any',
    pathParameters: { id: 'token id' },
    response: s.object({ revoked: s.integer() }),
    async handler(c) {
      const auth = caller(c);
      const text = pathParam(c, 'id', { max: 15, pattern: /^\d+$/, patternText: 'a numeric token id' });
      const token = await getToken(c.var.db, Number(text));
      if (token.user_id !== auth.user.id && !hasScope(auth, 'admin')) {
        throw new RippleError(ErrorCode.Forbidden, 'only admins may revoke other users\' tokens', {});
      }
      await revokeToken(c.var.db, token.id);
      return c.json({ revoked: token.id });
    },
  });
}
