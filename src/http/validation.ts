/**
 * Typed readers for untrusted input: request bodies, query strings and CLI arguments. Every
 * failure is an `invalidInput` naming the field (`sources[2].url`, `limit`), so no input reaches
 * SQL unchecked and none can end in a 500.
 */
import type { Context } from 'hono';
import { invalidInput } from '../errors.ts';

/** Longest free-text value accepted anywhere (names are much shorter, see `maxName`). */
export const maxText = 4096;
export const maxName = 200;

export type JsonObject = Record<string, unknown>;

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'string' ? `'${value.slice(0, 60)}'` : typeof value;

export function expectObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(field, `${field} must be a JSON object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

/** Refuses keys outside `allowed`: a misspelt option must not be silently ignored. */
export function expectKeys(object: JsonObject, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      const where = field ? `${field}.${key}` : key;
      throw invalidInput(where, `unknown field '${where}' (expected ${allowed.join(', ')})`);
    }
  }
}

export interface StringRules {
  max?: number;
  min?: number;
  pattern?: RegExp;
  /** Shown when `pattern` does not match, e.g. 'lowercase letters, digits, ., _ and -'. */
  patternText?: string;
}

export function expectString(value: unknown, field: string, rules: StringRules = {}): string {
  if (typeof value !== 'string') throw invalidInput(field, `${field} must be a string, got ${describe(value)}`);
  const max = rules.max ?? maxText;
  if (value.length > max) throw invalidInput(field, `${field} must be at most ${max} characters`);
  if (value.length < (rules.min ?? 0)) throw invalidInput(field, `${field} must be at least ${rules.min} characters`);
  // PostgreSQL text cannot hold NUL; refusing it here keeps it from becoming a database error.
  if (value.includes('\0')) throw invalidInput(field, `${field} must not contain NUL characters`);
  if (rules.pattern && !rules.pattern.test(value)) {
    throw invalidInput(field, `${field} '${value.slice(0, 60)}' is not valid: use ${rules.patternText ?? rules.pattern.source}`);
  }
  return value;
}

export interface NumberRules {
  min?: number;
  max?: number;
}

/** Integers stay within PostgreSQL's int4 unless a narrower range is given. */
export function expectInteger(value: unknown, field: string, rules: NumberRules = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidInput(field, `${field} must be an integer, got ${describe(value)}`);
  return inRange(value, field, { min: rules.min ?? -2147483648, max: rules.max ?? 2147483647 });
}

export function expectNumber(value: unknown, field: string, rules: NumberRules = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidInput(field, `${field} must be a finite number, got ${describe(value)}`);
  return inRange(value, field, rules);
}

function inRange(value: number, field: string, rules: NumberRules): number {
  if (rules.min !== undefined && value < rules.min) throw invalidInput(field, `${field} must be at least ${rules.min}, got ${value}`);
  if (rules.max !== undefined && value > rules.max) throw invalidInput(field, `${field} must be at most ${rules.max}, got ${value}`);
  return value;
}

export function expectBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalidInput(field, `${field} must be true or false, got ${describe(value)}`);
  return value;
}

export function expectEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidInput(field, `${field} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** An ISO 8601 date or date-time (what `Date` understands from a string in that form). */
export function expectDate(value: unknown, field: string): Date {
  const text = expectString(value, field, { max: 64 });
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : new Date(NaN);
  // PostgreSQL timestamptz stops at year 294276; keep well inside it.
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999) {
    throw invalidInput(field, `${field} must be an ISO 8601 date such as 2025-01-31T12:00:00Z, got '${text.slice(0, 60)}'`);
  }
  return date;
}

export function expectArray<T>(value: unknown, field: string, item: (v: unknown, f: string) => T, rules: { min?: number; max?: number } = {}): T[] {
  if (!Array.isArray(value)) throw invalidInput(field, `${field} must be an array, got ${describe(value)}`);
  const max = rules.max ?? 100_000;
  if (value.length > max) throw invalidInput(field, `${field} must have at most ${max} entries`);
  if (value.length < (rules.min ?? 0)) throw invalidInput(field, `${field} must have at least ${rules.min} entr${rules.min === 1 ? 'y' : 'ies'}`);
  return value.map((v, i) => item(v, `${field}[${i}]`));
}

/** Reads `object[key]` with `read` when present; undefined when absent (null counts as present). */
export function optional<T>(object: JsonObject, key: string, read: (v: unknown, field: string) => T, prefix = ''): T | undefined {
  return object[key] === undefined ? undefined : read(object[key], prefix ? `${prefix}.${key}` : key);
}

/** `null` clears a nullable column; anything else goes through `read`. */
export const nullable = <T>(read: (v: unknown, field: string) => T) => (value: unknown, field: string): T | null =>
  value === null ? null : read(value, field);

/** Package names: what rpm and Debian allow, plus a length bound. */
export const packageNamePattern = /^[A-Za-z0-9][A-Za-z0-9._+~^-]*$/;
export const expectPackageName = (value: unknown, field: string) =>
  expectString(value, field, { max: maxName, pattern: packageNamePattern, patternText: 'letters, digits and . _ + ~ ^ -' });

// Request-level readers ------------------------------------------------------------------------

const maxBodyBytes = 4 * 1024 * 1024;

/** The JSON object body of a request; malformed, oversized or non-object bodies name `body`. */
export async function readJsonBody(c: Context): Promise<JsonObject> {
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > maxBodyBytes) throw invalidInput('body', `request body is larger than ${maxBodyBytes} bytes`);
  const text = await c.req.text();
  if (text.length > maxBodyBytes) throw invalidInput('body', `request body is larger than ${maxBodyBytes} bytes`);
  if (text.trim() === '') throw invalidInput('body', 'request body is empty; send a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidInput('body', `request body is not valid JSON: ${(error as Error).message}`);
  }
  return expectObject(parsed, 'body');
}

/** All values of a repeatable query parameter; `a=1&a=2` and `a=1,2` both give ['1', '2']. */
export function queryList(c: Context, name: string, max = 100): string[] {
  const values = (c.req.queries(name) ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (values.length > max) throw invalidInput(name, `${name} may be given at most ${max} times`);
  return values.map((v) => expectString(v, name, { max: maxName }));
}

export function queryString(c: Context, name: string, rules: StringRules = {}): string | undefined {
  const value = c.req.query(name);
  return value === undefined || value === '' ? undefined : expectString(value, name, { max: maxName, ...rules });
}

export function queryInteger(c: Context, name: string, rules: NumberRules = {}): number | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d{1,10}$/.test(value)) throw invalidInput(name, `${name} must be an integer, got '${value.slice(0, 60)}'`);
  return expectInteger(Number(value), name, rules);
}

export function queryBoolean(c: Context, name: string): boolean | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw invalidInput(name, `${name} must be true or false, got '${value.slice(0, 60)}'`);
}

export function queryEnum<T extends string>(c: Context, name: string, allowed: readonly T[]): T | undefined {
  const value = c.req.query(name);
  return value === undefined || value === '' ? undefined : expectEnum(value, name, allowed);
}

/** A path parameter, bounded and NUL-free (Hono has already percent-decoded it). */
export function pathParam(c: Context, name: string, rules: StringRules = {}): string {
  return expectString(c.req.param(name) ?? '', name, { max: maxName, min: 1, ...rules });
}

/** A shell-style glob with `*` only, as a SQL LIKE pattern (with `\` escaping LIKE's own specials). */
export function globToLike(glob: string): string {
  return glob.replace(/[\\%_]/g, '\\$&').replace(/\*/g, '%');
}
