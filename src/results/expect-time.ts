import { invalidInput } from '../errors.ts';
import { expectString } from '../http/validation.ts';

/**
 * A time as ResultsDB takes it: milliseconds since the epoch, or ISO 8601 text where a missing
 * zone means UTC.
 */
export function expectTime(value: unknown, field: string): Date {
  let date: Date;
  if (typeof value === 'number') {
    date = new Date(value);
  } else {
    const text = expectString(value, field, { max: 64 });
    const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
    date = iso ? new Date(`${iso[1]}T${iso[2] ?? '00:00:00'}${iso[3] ?? 'Z'}`.replace(/(\.\d{3})\d+/, '$1')) : new Date(NaN);
  }
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999) {
    throw invalidInput(field, `${field} must be milliseconds since the epoch or an ISO 8601 time such as 2025-01-31T12:00:00Z, got '${String(value).slice(0, 60)}'`);
  }
  return date;
}
