/**
 * Bearer-token authentication. Routes declare the scope they need (api-routes.ts adds
 * `requireScope` for them); public routes never touch the token table.
 * 401: no, malformed, unknown, revoked or expired token. 403: valid token without the scope.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { TokenScope } from '../db/schema.ts';
import { ErrorCode, RippleError } from '../errors.ts';
import { authenticate, type AuthContext } from '../users/service.ts';
import type { AppEnv } from './api-routes.ts';

/** 'any' = any valid token, whatever its scopes. */
export type RequiredScope = TokenScope | 'any';

const unauthorized = (message: string) => new RippleError(ErrorCode.Unauthorized, message, {});

async function authContext(c: Context<AppEnv>): Promise<AuthContext> {
  const header = c.req.header('authorization');
  if (!header) throw unauthorized('this route needs an API token: send Authorization: Bearer <token>');
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('the Authorization header must be "Bearer <token>"');
  const auth = await authenticate(c.var.db, match[1]!);
  if (!auth) throw unauthorized('the API token is unknown, revoked or expired');
  return auth;
}

export const hasScope = (auth: AuthContext, scope: RequiredScope) => scope === 'any' || auth.scopes.includes(scope);

export function requireScope(scope: RequiredScope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    const auth = await authContext(c);
    if (!hasScope(auth, scope)) {
      throw new RippleError(ErrorCode.Forbidden, `this route needs a token with the '${scope}' scope; this token has ${auth.scopes.join(', ')}`, { scope });
    }
    c.set('auth', auth);
    await next();
  };
}

/** The authenticated caller of a route declared with a scope. */
export function caller(c: Context<AppEnv>): AuthContext {
  const auth = c.var.auth;
  if (!auth) throw unauthorized('this route needs an API token');
  return auth;
}
