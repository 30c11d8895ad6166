/**
 * Typed domain errors. Every failure that a user can cause or see carries a stable code;
 * http/error-handler.ts is the one place that maps codes to HTTP statuses.
 */
export const ErrorCode = {
  /** A request or CLI argument is malformed; `details.field` names it. */
  InvalidInput: 'invalid_input',
  NotFound: 'not_found',
  Conflict: 'conflict',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  /** Repository metadata could not be read: `details` names file, line/offset and field. */
  RepositoryUnreadable: 'repository_unreadable',
  /** The resolver itself failed (not "unresolvable", which is a normal outcome). */
  ResolverFailed: 'resolver_failed',
  /** A prerequisite tool or build artefact is missing; the message says what to install. */
  MissingPrerequisite: 'missing_prerequisite',
  /** A remote system (Koji hub, repository mirror) did not answer usefully. */
  UpstreamFailed: 'upstream_failed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class RippleError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RippleError';
    this.code = code;
    this.details = details;
  }
}

export const invalidInput = (field: string, message: string) =>
  new RippleError(ErrorCode.InvalidInput, message, { field });

export const notFound = (what: string, key: string) =>
  new RippleError(ErrorCode.NotFound, `${what} '${key}' does not exist`, { what, key });

/** Where in a repository file something went wrong; every reader error carries one. */
export interface FilePosition {
  file: string;
  line?: number;
  column?: number;
  /** Byte offset into the decompressed stream, when lines are not meaningful. */
  offset?: number;
  field?: string;
}

export function repositoryUnreadable(position: FilePosition, problem: string, cause?: unknown): RippleError {
  const where = [position.file, position.line, position.column].filter((p) => p !== undefined).join(':');
  const field = position.field ? ` (field ${position.field})` : '';
  return new RippleError(ErrorCode.RepositoryUnreadable, `${where}${field}: ${problem}`, { ...position }, { cause });
}
