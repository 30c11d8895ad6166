/**
 * PostgreSQL advisory lock keys, all in one place so no two features share one by accident.
 * Keys use the two-int4 form `pg_advisory_xact_lock(class, object)`: the class says what is
 * locked, the object which one (a collection id, or 0 for singletons). Classes start at a
 * Ripple-specific base so a database shared with other software does not collide with them.
 */
const base = 0x52_49_00_00; // "RI"

export const LockClass = {
  /** Serialises schema migration across instances starting at once. */
  migrations: base + 1,
  /** Serialises event appends so ids become visible in increasing order (event-log.ts). */
  eventLog: base + 2,
  /** One scheduler tick at a time across instances: the global build cap is checked and filled atomically. */
  scheduler: base + 5,
  /** One fold of a collection's package_state_counts rows at a time (collections/state-counts.ts). */
  stateCounts: base + 6,
} as const;
export type LockClass = (typeof LockClass)[keyof typeof LockClass];
