/**
 * The event catalogue: every event type Ripple writes, its payload as a JSON Schema (draft
 * 2020-12 subset) and a version. Clients (websockets, webhooks, AMQP) receive the same envelope,
 * `eventEnvelope`; docs/events.md is the prose version of this table. A version rises when a
 * payload field is removed or changes meaning; adding a field keeps the version.
 *
 * `validateAgainst` implements exactly the keywords used here (type, properties, required,
 * additionalProperties: false, items, enum), which keeps this free of a schema library.
 */
import type { Event } from './event-log.ts';

export type JsonSchema = Record<string, unknown>;

export interface CatalogueEntry {
  version: number;
  description: string;
  payload: JsonSchema;
}

const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const obj = { type: 'object' };
const nullable = (schema: { type: string }, extra: JsonSchema = {}) => ({ ...schema, ...extra, type: [schema.type, 'null'] });
const array = (items: JsonSchema) => ({ type: 'array', items });
const object = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)) => ({ type: 'object', properties, required });

const packageStates = ['ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown'];
const problem = object({ sentences: array(str), packages: array(str), dependencies: array(str) });
const rootCause = object({
  transition: { type: 'string', enum: ['became-unresolvable', 'became-resolvable', 'problems-changed'] },
  summary: str,
  causes: array(object({
    kind: str, name: str, arch: nullable(str), previous: nullable(str), current: nullable(str),
    lostProvides: array(str), gainedProvides: array(str), explanation: str,
  })),
});
/** Fields every event of an ingested snapshot carries. */
const snapshotCommon = { collection: str, collection_id: int, snapshot: { ...int, description: 'snapshot sequence number within the collection' } };
const subject = object({ type: str, item: str });
/** One moved build dependency, NEVRAs before and after. */
const dependencyChange = object({ name: str, kind: { type: 'string', enum: ['added', 'removed', 'upgraded', 'downgraded'] }, distance: nullable(int), previous: nullable(str), current: nullable(str) });
/** Fields every build event carries. */
const buildCommon = { build_id: int, collection: str, name: str };
const backend = { type: 'string', enum: ['local', 'simulation', 'koji'] };
const buildOutcomes = ['passed', 'fixed', 'regression', 'still-failing', 'failed', 'infra'];
/** Fields every wave event carries. */
const waveCommon = { wave_id: int, collection: str };
const waveNodeStates = ['pending', 'queued', 'building', 'built', 'failed', 'blocked', 'canceled'];
const waveCounts = object(Object.fromEntries(waveNodeStates.map((s) => [s, int])));

export const eventCatalogue: Readonly<Record<string, CatalogueEntry>> = {
  'snapshot.ingested': {
    version: 1,
    description: 'A new snapshot of a collection became active: counts of what was read and re-solved.',
    payload: object({
      ...snapshotCommon, snapshot_id: int, base_resolved: bool, binaries: int, sources: int, solved: int, changed: int,
      state_changes: int, unresolved: int, duration_ms: { type: 'number' },
    }),
  },
  'snapshot.failed': {
    version: 1,
    description: 'Ingesting a snapshot failed; the previous snapshot stays active.',
    payload: object({ collection: str, snapshot_id: nullable(int, { description: 'null when the failure came before a snapshot was recorded' }), error: str }),
  },
  'collection.state.change': {
    version: 1,
    description: "A collection's state changed (its base buildroot became (un)resolvable).",
    payload: object({ ...snapshotCommon, old: { type: 'string', enum: ['new', 'ok', 'unresolved', 'error'] }, new: { type: 'string', enum: ['ok', 'unresolved', 'error'] }, collection_name: str, base_problems: array(problem) }),
  },
  'collection.change': {
    version: 1,
    description: 'A collection was created, updated, deleted, asked to regenerate, or got packages added.',
    payload: object({
      action: { type: 'string', enum: ['created', 'updated', 'deleted', 'regenerate_requested', 'packages_added'] },
      collection: str, settings: obj, changes: obj, count: int, packages: array(str),
    }, ['action', 'collection']),
  },
  'package.state.change': {
    version: 1,
    description: "A package's state changed (Koschei's ok/failing/unresolved/blocked/untracked/unknown), with the groups it belongs to.",
    payload: object({
      collection: str, collection_id: int, collection_name: str, snapshot: int, repo: int, name: str,
      old: { type: 'string', enum: packageStates }, new: { type: 'string', enum: packageStates },
      groups: array({ ...str, description: 'group labels, namespace/name' }), reason: nullable(str),
      build_id: { ...int, description: 'when a finished build changed the state' },
    }, ['collection', 'collection_id', 'collection_name', 'name', 'old', 'new', 'groups', 'reason']),
  },
  'package.buildability.change': {
    version: 1,
    description: 'A package became resolvable or unresolvable, with the root cause (which dependency moved) and the solver problems.',
    payload: object({ ...snapshotCommon, name: str, resolved: bool, previous_resolved: bool, root_cause: nullable(obj, { properties: rootCause.properties, required: rootCause.required }), problems: array(problem) }),
  },
  'package.dependency.change': {
    version: 1,
    description: "Build dependencies of a package moved between two snapshots: the 5 nearest (by distance) listed, count is the total; the package detail lists them all.",
    payload: object({
      ...snapshotCommon, name: str, count: int,
      changes: array(dependencyChange),
    }),
  },
  'package.change': {
    version: 1,
    description: "A package's flags changed (tracked, blocked, priorities...): each changed flag with old and new value.",
    payload: object({ collection: str, changes: obj }),
  },
  'group.change': {
    version: 1,
    description: 'A package group was created, updated, deleted, or gained or lost members.',
    payload: object({
      action: { type: 'string', enum: ['created', 'updated', 'deleted', 'members_added', 'members_removed'] },
      group: { ...str, description: 'namespace/name' }, packages: array(str), maintainers: array(str), description: str,
    }, ['action', 'group']),
  },
  'build.requested': {
    version: 1,
    description: "A maintainer asked for a build: the package's manual priority was raised (the scheduler queues it later).",
    payload: object({ collection: str, name: str, by: { ...str, description: 'user name' }, manual_priority: int }),
  },
  'build.queued': {
    version: 1,
    description: 'The scheduler queued a build, with its priority and why it was chosen.',
    payload: object({ ...buildCommon, backend, priority: int, reason: { ...obj, description: "the scheduler's reason (kind, dependency changes...)" } }),
  },
  'build.started': {
    version: 1,
    description: 'A builder claimed a queued build and started it.',
    payload: object({ ...buildCommon, collection_id: int, worker: str, attempt: int, backend, arch: nullable(str) }),
  },
  'build.retry': {
    version: 1,
    description: 'An attempt failed for an infrastructure reason (lost worker, timeout, missing SRPM); the build went back to the queue.',
    payload: object({ ...buildCommon, collection_id: int, attempt: { ...int, description: 'the next attempt' }, error: str }),
  },
  'build.finished': {
    version: 1,
    description: 'A build ended: succeeded or failed with its outcome against the previous build, or infra-failed after its last attempt.',
    payload: object({
      ...buildCommon, collection_id: int, attempt: int,
      state: { type: 'string', enum: ['succeeded', 'failed', 'infra-failed'] }, outcome: { type: 'string', enum: buildOutcomes },
      error: { ...str, description: 'infra-failed only' },
      exit_status: nullable(int), duration_ms: int, change_count: int,
      dependency_changes: array(dependencyChange),
    }, ['build_id', 'collection', 'collection_id', 'name', 'attempt', 'state', 'outcome']),
  },
  'build.canceled': {
    version: 1,
    description: 'A build was canceled: a queued one at once, a running one when its worker stopped it (or its worker was lost after the cancel request).',
    payload: object({ ...buildCommon, collection_id: int, by: { ...str, description: 'user name' }, was: { type: 'string', enum: ['queued', 'running'] } }),
  },
  'wave.planned': {
    version: 1,
    description: 'A rebuild wave was planned (nothing queued yet): its target, size, batches, cycles and expected duration.',
    payload: object({
      ...waveCommon, target: object({ kind: { type: 'string', enum: ['affected', 'group', 'packages'] }, value: {} }),
      builds: int, batches: int, cycles: int, expected_seconds: int, by: str,
    }),
  },
  'wave.started': { version: 1, description: 'A planned wave was started; the scheduler queues its first batch.', payload: object({ ...waveCommon, by: str }) },
  'wave.paused': { version: 1, description: 'A wave was paused: nothing more is queued; queued and running builds go on.', payload: object({ ...waveCommon, by: str }) },
  'wave.resumed': { version: 1, description: 'A paused wave was resumed.', payload: object({ ...waveCommon, by: str }) },
  'wave.progress': {
    version: 1,
    description: "A wave moved on: its packages changed state (queued, building, built, failed, blocked, canceled), its current batch changed, or the rebuild policy holds the next batch back (waiting_for).",
    payload: object({
      ...waveCommon, batch: nullable(int, { description: 'current batch, null before the first and after the last' }), batches: int,
      counts: waveCounts, waiting_for: nullable(str),
      changed: array(object({ package: str, state: { type: 'string', enum: waveNodeStates }, build_id: nullable(int), reason: nullable(str) })),
      change_count: { ...int, description: 'changed packages in total (the list holds the first 200)' },
    }),
  },
  'wave.canceled': { version: 1, description: 'A wave was canceled: pending packages will not be built, queued builds were canceled, running ones asked to stop.', payload: object({ ...waveCommon, by: str, counts: waveCounts }) },
  'wave.finished': { version: 1, description: 'Every batch of a wave is done (built, failed or blocked).', payload: object({ ...waveCommon, counts: waveCounts }) },
  'result.new': {
    version: 1,
    description: 'A test result was submitted (ResultsDB v2.0 representation).',
    payload: object({
      id: int, groups: array(str), testcase: object({ name: str, ref_url: nullable(str), href: str }), submit_time: str,
      outcome: { type: 'string', enum: ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION', 'QUEUED', 'RUNNING', 'ERROR'] },
      note: nullable(str), ref_url: nullable(str), data: obj, href: str,
    }),
  },
  'waiver.new': {
    version: 1,
    description: 'A waiver was recorded (WaiverDB v1.0 representation).',
    payload: object({
      id: int, subject_type: str, subject_identifier: str, subject, testcase: str, scenario: nullable(str), covers_all_scenarios: bool,
      username: str, proxied_by: nullable(str), product_version: str, waived: bool, comment: str, timestamp: str,
    }),
  },
  'decision.update': {
    version: 1,
    description: 'A gating decision changed (Greenwave semantics): the new and the previous decision.',
    payload: object({ subject, subject_type: str, subject_identifier: str, product_version: str, decision_context: str, decision: obj, previous: obj }),
  },
};

/** What every consumer receives for one event. */
export const envelopeSchema: JsonSchema = object({
  id: int,
  type: str,
  version: int,
  occurred_at: { type: 'string', format: 'date-time' },
  collection_id: nullable(int),
  collection: nullable(str),
  package: nullable(str),
  payload: obj,
});

export interface EventEnvelope {
  id: number;
  type: string;
  version: number;
  occurred_at: string;
  collection_id: number | null;
  collection: string | null;
  package: string | null;
  payload: Record<string, unknown>;
}

/**
 * The envelope of `event`. `collection` is the collection's name: every collection-scoped event
 * carries it in its payload (the catalogue requires it), so no lookup is needed.
 */
export function eventEnvelope(event: Event): EventEnvelope {
  const name = event.payload.collection;
  return {
    id: event.id,
    type: event.type,
    version: eventCatalogue[event.type]?.version ?? 1,
    occurred_at: event.occurredAt.toISOString(),
    collection_id: event.collectionId,
    collection: typeof name === 'string' ? name : null,
    package: event.packageName,
    payload: event.payload,
  };
}

const typeOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

/** Violations of `schema` by `value`, each naming its path (`payload.changes[2].kind`); empty = valid. */
export function validateAgainst(schema: JsonSchema, value: unknown, path = 'payload'): string[] {
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type as string[] : [schema.type as string];
    const actual = typeOf(value);
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) return [`${path}: expected ${allowed.join(' or ')}, got ${actual}`];
  }
  const errors: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
  if (typeOf(value) === 'object') {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in record)) errors.push(`${path}.${key}: required`);
    for (const [key, item] of Object.entries(record)) {
      if (properties[key]) errors.push(...validateAgainst(properties[key], item, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((item, i) => errors.push(...validateAgainst(schema.items as JsonSchema, item, `${path}[${i}]`)));
  return errors;
}

/** Violations of the catalogue by `event` (unknown type, payload not matching its schema). */
export function checkEvent(event: Event): string[] {
  const entry = eventCatalogue[event.type];
  if (!entry) return [`event ${event.id}: type '${event.type}' is not in the event catalogue`];
  return validateAgainst(entry.payload, event.payload).map((e) => `event ${event.id} (${event.type}): ${e}`);
}
