/**
 * The one place that turns failures into HTTP responses. Body shape, always JSON:
 *   { "message": "...", "code": "invalid_input", "details": { "field": "limit" } }
 * RippleErrors map by code; the PostgreSQL errors a request can still provoke despite validation
 * (a unique name taken by a concurrent request) map to 4xx; everything else is our bug: logged
 * at error level and answered with a generic 500.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorCode, RippleError } from '../errors.ts';
import { log } from '../log.ts';

export const statusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.RepositoryUnreadable]: 422,
  [ErrorCode.ResolverFailed]: 500,
  [ErrorCode.UpstreamFailed]: 502,
  [ErrorCode.MissingPrerequisite]: 503,
};

export interface ErrorBody {
  message: string;
  code: string;
  details: Record<string, unknown>;
}

export function errorResponse(c: Context, status: ContentfulStatusCode, body: ErrorBody): Response {
  const response = c.json(body, status);
  if (status === 401) response.headers.set('WWW-Authenticate', 'Bearer realm="ripple"');
  return response;
}

/** SQLSTATEs that mean "the request conflicts with stored data", not "Ripple is broken". */
const sqlStateCodes: Record<string, { status: ContentfulStatusCode; code: ErrorCode; message: string }> = {
  '23505': { status: 409, code: ErrorCode.Conflict, message: 'an object with these identifying fields already exists' },
  '23503': { status: 409, code: ErrorCode.Conflict, message: 'the request refers to an object that does not exist or is still referenced' },
  '40001': { status: 409, code: ErrorCode.Conflict, message: 'a concurrent change conflicted with this request; retry it' },
  '40P01': { status: 409, code: ErrorCode.Conflict, message: 'a concurrent change conflicted with this request; retry it' },
};

export function toErrorResponse(error: unknown, c: Context): Response {
  if (error instanceof RippleError) {
    return errorResponse(c, statusByCode[error.code] ?? 500, { message: error.message, code: error.code, details: error.details });
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const code = status === 401 ? ErrorCode.Unauthorized : status === 404 ? ErrorCode.NotFound : ErrorCode.InvalidInput;
    return errorResponse(c, status, { message: error.message || 'request refused', code, details: {} });
  }
  const sqlState = (error as { code?: unknown } | null)?.code;
  const mapped = typeof sqlState === 'string' ? sqlStateCodes[sqlState] : undefined;
  if (mapped) {
    const constraint = (error as { constraint?: string }).constraint;
    log.warn('request conflicted with stored data', { path: c.req.path, sqlState, constraint });
    return errorResponse(c, mapped.status, { message: mapped.message, code: mapped.code, details: constraint ? { constraint } : {} });
  }
  log.error('unexpected error handling request', { method: c.req.method, path: c.req.path, error, stack: (error as Error)?.stack });
  return errorResponse(c, 500, { message: 'internal error; it has been logged', code: 'internal', details: {} });
}

export function notFoundResponse(c: Context): Response {
  return errorResponse(c, 404, {
    message: `no route ${c.req.method} ${c.req.path}; GET /openapi.json lists them`,
    code: ErrorCode.NotFound,
    details: { path: c.req.path, method: c.req.method },
  });
}
