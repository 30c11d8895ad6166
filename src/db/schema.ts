/**
 * Kysely table types, one interface per table in sql/, column for column (test/db/schema.test.ts
 * compares them with the live catalogue).
 *
 * Value conventions, identical on PostgreSQL and PGlite (see database.ts):
 * - bigint (ids, counts) reads as `number`; numeric reads as `number`.
 * - bytea reads as a Buffer (`Uint8Array` below); write a Buffer or Uint8Array.
 * - jsonb reads as the parsed value but is written as JSON text (`JSON.stringify(x)`): node-postgres
 *   would turn a JS array parameter into a PostgreSQL array literal, so text is the one form both
 *   backends store identically.
 * - text[] reads and writes as `string[]`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** jsonb column holding `T`: read parsed, written as JSON text. */
export type Jsonb<T> = ColumnType<T, string, string>;
/** jsonb column with a database default. */
export type JsonbWithDefault<T> = ColumnType<T, string | undefined, string>;
/** Timestamp with a database default. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** Id assigned by the database (GENERATED ALWAYS AS IDENTITY): never written. */
export type Id = ColumnType<number, never, never>;
export type Bytes = Uint8Array;

export type CollectionFormat = 'rpm-md' | 'debian';
export type CollectionState = 'new' | 'ok' | 'unresolved' | 'error';
export type SnapshotState = 'ingesting' | 'active' | 'failed' | 'superseded';
export type PackageState = 'ok' | 'failing' | 'unresolved' | 'blocked' | 'untracked' | 'unknown';
export type TokenScope = 'admin' | 'maintainer' | 'ci';
export type DependencyChangeBaseline = 'previous_resolution' | 'last_build';
export type DependencyChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded';

/** A libsolv problem as stored: all its rule sentences, and the packages and dependencies they name. */
export interface StoredProblem { sentences: string[]; packages: string[]; dependencies: string[] }

export interface UsersTable {
  id: Id;
  name: string;
  email: string | null;
  is_admin: Generated<boolean>;
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: Id;
  user_id: number;
  /** Lowercase hex SHA-256 of the token; the token itself is never stored. */
  token_sha256: string;
  scopes: TokenScope[];
  description: Generated<string>;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface CollectionsTable {
  id: Id;
  /** Slug: `^[a-z0-9][a-z0-9._-]*$`. */
  name: string;
  display_name: string;
  format: CollectionFormat;
  /** Ordered overlay stack of repository locations; shape owned by src/repos. */
  sources: JsonbWithDefault<unknown[]>;
  architectures: Generated<string[]>;
  /** `{"group":"build"}` | `{"packages":[...]}` | `{"essential":true,"packages":[...]}`. */
  base_buildroot: JsonbWithDefault<Record<string, unknown>>;
  resolver_options: JsonbWithDefault<Record<string, unknown>>;
  build_backend: Generated<string>;
  build_target: string | null;
  priority_coefficient: Generated<number>;
  poll_interval_seconds: Generated<number>;
  paused: Generated<boolean>;
  state: Generated<CollectionState>;
  last_error: string | null;
  last_error_at: Timestamp | null;
  current_snapshot_id: number | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
  /** 0002: when the watcher last looked at the repositories. */
  last_polled_at: Timestamp | null;
  /** 0002: makes the next watcher tick poll regardless of the interval. */
  regenerate_requested_at: Timestamp | null;
}

export interface RepositoryBlobsTable {
  /** Lowercase hex SHA-256 of the raw repository metadata. */
  sha256: string;
  format: CollectionFormat;
  /** How `packages` is serialised, e.g. 'json+gzip'. */
  encoding: Generated<string>;
  packages: Bytes;
  raw_size: number;
  package_count: number;
  created_at: CreatedAt;
}

export interface SnapshotsTable {
  id: Id;
  collection_id: number;
  /** 1, 2, ... per collection. */
  sequence: number;
  fingerprint: JsonbWithDefault<Record<string, unknown>>;
  /** Ordered overlay: element i was read from collection.sources[i]. */
  blob_sha256s: Generated<string[]>;
  state: Generated<SnapshotState>;
  error: string | null;
  base_resolved: boolean | null;
  base_problems: JsonbWithDefault<StoredProblem[]>;
  base_buildroot: Bytes | null;
  binary_count: number | null;
  source_count: number | null;
  created_at: CreatedAt;
  activated_at: Timestamp | null;
  /** 0002: ingestion claim (one ingesting snapshot per collection) and its lease. */
  claimed_by: string | null;
  lease_expires_at: Timestamp | null;
  resolved_count: number | null;
  unresolved_count: number | null;
  /** 0002: sources solved anew vs carried over unchanged. */
  solved_count: number | null;
  changed_count: number | null;
  duration_ms: number | null;
}

export interface BinaryPackagesTable {
  id: Id;
  name: string;
  epoch: Generated<number>;
  version: string;
  /** Debian: ''. */
  release: Generated<string>;
  arch: string;
}

export interface PackagesTable {
  id: Id;
  collection_id: number;
  name: string;
  tracked: Generated<boolean>;
  blocked: Generated<boolean>;
  arch_override: string[] | null;
  manual_priority: Generated<number>;
  static_priority: Generated<number>;
  snooze_until: Timestamp | null;
  state: Generated<PackageState>;
  state_since: CreatedAt;
  state_snapshot_id: number | null;
  resolved: boolean | null;
  last_resolution_id: number | null;
  created_at: CreatedAt;
  /** The last finished (succeeded or failed) build and its finish, outcome and snapshot; triggers keep them (sql/0010). */
  last_build_id: number | null;
  last_build_finished_at: Timestamp | null;
  last_build_outcome: BuildOutcome | null;
  last_build_snapshot_id: number | null;
  /** Nearest distance per dependency changed since the last build's snapshot, unknown last; null: none (a trigger keeps it). */
  unapplied_change_distances: (number | null)[] | null;
}

/** Deltas of package counts per collection and state, appended by a trigger on packages (sql/0011); a count is their sum. */
export interface PackageStateCountsTable {
  collection_id: number;
  state: PackageState;
  n: number;
}

export interface PackageGroupsTable {
  id: Id;
  /** Owner's user id; null is the global namespace. */
  namespace_user_id: number | null;
  name: string;
  description: Generated<string>;
  created_at: CreatedAt;
}

export interface PackageGroupMembersTable {
  group_id: number;
  package_name: string;
}

export interface PackageGroupMaintainersTable {
  group_id: number;
  user_id: number;
}

export interface ResolutionsTable {
  id: Id;
  package_id: number;
  snapshot_id: number;
  resolved: boolean;
  /** libsolv's problems when unresolved (empty when resolved). */
  problems: JsonbWithDefault<StoredProblem[]>;
  root_cause: Jsonb<unknown> | null;
  /** binary_packages ids: sorted, delta-encoded, compressed. */
  buildroot: Bytes | null;
  buildroot_size: number | null;
  /** 0012: its dependency changes since the package's previous resolution (null: none). */
  change_set_id: number | null;
  created_at: CreatedAt;
}

export interface DependencyChangesTable {
  id: Id;
  package_id: number;
  snapshot_id: number;
  baseline: DependencyChangeBaseline;
  dependency_name: string;
  /** Null iff kind is 'added'. */
  previous_binary_package_id: number | null;
  /** Null iff kind is 'removed'. */
  current_binary_package_id: number | null;
  kind: DependencyChangeKind;
  /** 1 = direct build dependency; null = beyond the measured distance or base buildroot. */
  distance: number | null;
  /** 0005: the build that applied these changes (baseline 'last_build' only). */
  build_id: number | null;
}

/** 0012: dependency changes stored once per distinct set, shared by the resolutions that have them. */
export interface DependencyChangeSetsTable {
  id: Id;
  /** sha256 of the set's rows (src/resolution/ingest.ts). */
  digest: string;
}

export interface DependencyChangeSetMembersTable {
  set_id: number;
  dependency_name: string;
  previous_binary_package_id: number | null;
  current_binary_package_id: number | null;
  kind: DependencyChangeKind;
  distance: number | null;
}

/**
 * 0012 view: a package's dependency_changes rows and its resolutions' change sets. (A view's
 * columns are all nullable to PostgreSQL; these are the nullabilities of its rows.)
 */
export interface PackageDependencyChangesView {
  package_id: number;
  snapshot_id: number;
  baseline: DependencyChangeBaseline;
  dependency_name: string;
  previous_binary_package_id: number | null;
  current_binary_package_id: number | null;
  kind: DependencyChangeKind;
  distance: number | null;
  build_id: number | null;
}

export interface PackageStateChangesTable {
  id: Id;
  package_id: number;
  snapshot_id: number | null;
  previous_state: PackageState | null;
  state: PackageState;
  reason: Generated<string>;
  at: CreatedAt;
}

/** Append-only: write only through src/events/event-log.ts. */
export interface EventsTable {
  id: Id;
  type: string;
  occurred_at: CreatedAt;
  collection_id: number | null;
  package_name: string | null;
  payload: JsonbWithDefault<Record<string, unknown>>;
}

export interface EventLogStateTable {
  singleton: Generated<boolean>;
  pruned_through_id: Generated<number>;
  pruned_at: Timestamp | null;
}

/** Written only by src/db/migrate.ts. */
export interface SchemaMigrationsTable {
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

// Results, waivers, gating (sql/0004_results_waivers.sql) -----------------------------------------

export type ResultOutcome = 'PASSED' | 'INFO' | 'FAILED' | 'NEEDS_INSPECTION' | 'QUEUED' | 'RUNNING' | 'ERROR';
export type GatingAction = 'result' | 'waive';

export interface TestcasesTable {
  id: Id;
  name: string;
  ref_url: string | null;
  created_at: CreatedAt;
}

export interface ResultGroupsTable {
  uuid: string;
  description: string | null;
  ref_url: string | null;
  created_at: CreatedAt;
}

export interface ResultsTable {
  id: Id;
  testcase_id: number;
  outcome: ResultOutcome;
  note: string | null;
  ref_url: string | null;
  submit_time: CreatedAt;
}

export interface ResultDataTable {
  result_id: number;
  /** Never empty, never contains ':' (the query syntax uses `key:like`). */
  key: string;
  value: string;
}

export interface ResultGroupMembersTable {
  group_uuid: string;
  result_id: number;
}

/** Append-only (a trigger refuses UPDATE and DELETE). */
export interface WaiversTable {
  id: Id;
  subject_type: string;
  subject_identifier: string;
  testcase: string;
  username: string;
  proxied_by: string | null;
  product_version: string;
  waived: boolean;
  /** Null covers every scenario. */
  scenario: string | null;
  comment: string;
  timestamp: CreatedAt;
}

export interface GatingPermissionsTable {
  id: Id;
  action: GatingAction;
  testcase_glob: string;
  users: Generated<string[]>;
  scopes: Generated<TokenScope[]>;
  created_at: CreatedAt;
  /** 0009: API token ids allowed by this row. */
  token_ids: Generated<number[]>;
  /** 0009: the admin who granted it (null for rows from before the API). */
  granted_by: string | null;
  comment: Generated<string>;
}

// Subscriptions and webhooks (sql/0006_subscriptions.sql) ------------------------------------------

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';
/** One POST of a webhook delivery, as kept in `webhook_deliveries.history`. */
export interface WebhookAttempt { at: string; response_code: number | null; error: string | null }

export interface SubscriptionsTable {
  id: Id;
  user_id: number;
  /** Exactly one of group_id and package_name is set. */
  group_id: number | null;
  package_name: string | null;
  /** Event type filter, exact or `package.*`; empty = every type. */
  types: Generated<string[]>;
  webhook_url: string | null;
  webhook_secret: string | null;
  created_at: CreatedAt;
}

export interface WebhookDeliveriesTable {
  id: Id;
  subscription_id: number;
  event_id: number;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  response_code: number | null;
  error: string | null;
  history: JsonbWithDefault<WebhookAttempt[]>;
  next_attempt_at: CreatedAt;
  created_at: CreatedAt;
  delivered_at: Timestamp | null;
}

export interface EventFollowersTable {
  name: string;
  last_event_id: number;
  updated_at: CreatedAt;
}

// Builds and builders (sql/0005_builds.sql) -----------------------------------------------------

export type BuildBackend = 'local' | 'simulation' | 'koji';
export type BuildState = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'infra-failed';
export type BuildOutcome = 'passed' | 'fixed' | 'regression' | 'still-failing' | 'failed' | 'infra';

export interface BuildersTable {
  id: Id;
  name: string;
  backend: BuildBackend;
  platforms: Generated<string[]>;
  arches: Generated<string[]>;
  capacity: Generated<number>;
  draining: Generated<boolean>;
  registered_at: CreatedAt;
  last_seen: CreatedAt;
}

export interface BuildsTable {
  id: Id;
  package_id: number;
  /** The snapshot it was scheduled against (and resolved in when finished). */
  snapshot_id: number;
  backend: BuildBackend;
  arch: string | null;
  state: Generated<BuildState>;
  /** `{kind: 'dependency-change' | 'manual' | 'time' | 'failed-retry', ...}`. */
  reason: JsonbWithDefault<Record<string, unknown>>;
  priority: number;
  attempt: Generated<number>;
  /** Retry backoff: not claimable before this. */
  not_before: Timestamp | null;
  worker: string | null;
  lease_expires_at: Timestamp | null;
  queued_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  log_path: string | null;
  exit_status: number | null;
  error: string | null;
  outcome: BuildOutcome | null;
  task_id: number | null;
  cancel_requested: Generated<boolean>;
  /** binary_packages ids it built with, encoded like resolutions.buildroot. */
  buildroot: Bytes | null;
  buildroot_size: number | null;
  /** 0007: who canceled it or asked it to stop. */
  canceled_by: string | null;
}

// Rebuild waves (sql/0007_waves.sql) -----------------------------------------------------------

export type WaveState = 'planned' | 'running' | 'paused' | 'canceled' | 'finished';
export type WaveNodeState = 'pending' | 'queued' | 'building' | 'built' | 'failed' | 'blocked' | 'canceled';
export type WaveTarget = { kind: 'affected' | 'group'; value: string } | { kind: 'packages'; value: string[] };
export interface WaveEstimate {
  builds: number;
  buildSeconds: number;
  expectedSeconds: number;
  fromHistory: number;
  fallback: number;
  fallbackSeconds: number;
  /** Expected seconds of each batch. */
  batchSeconds: number[];
}

export interface WavesTable {
  id: Id;
  collection_id: number;
  /** The snapshot whose build-dependency graph the wave was planned on. */
  snapshot_id: number;
  target: Jsonb<WaveTarget>;
  description: Generated<string>;
  state: Generated<WaveState>;
  batch_count: number;
  /** The batch being built; null before start and once done. */
  current_batch: number | null;
  estimate: JsonbWithDefault<WaveEstimate>;
  /** Why the next batch is held back (rebuild policy), or null. */
  waiting_for: string | null;
  created_by: string;
  created_at: CreatedAt;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface WaveNodesTable {
  wave_id: number;
  package_id: number;
  batch: number;
  /** Strongly connected component id when it has more than one member. */
  cycle: number | null;
  state: Generated<WaveNodeState>;
  build_id: number | null;
  expected_seconds: number;
  estimate_source: 'history' | 'collection' | 'default';
  reason: string | null;
  /** Package ids of the wave's nodes that build-depend on this one directly. */
  dependents: Generated<number[]>;
}

/** Nodes per wave and state, kept by triggers on wave_nodes (sql/0013). */
export interface WaveStateCountsTable {
  wave_id: number;
  state: WaveNodeState;
  nodes: number;
}

export interface Schema {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  collections: CollectionsTable;
  repository_blobs: RepositoryBlobsTable;
  snapshots: SnapshotsTable;
  binary_packages: BinaryPackagesTable;
  packages: PackagesTable;
  package_state_counts: PackageStateCountsTable;
  package_groups: PackageGroupsTable;
  package_group_members: PackageGroupMembersTable;
  package_group_maintainers: PackageGroupMaintainersTable;
  resolutions: ResolutionsTable;
  dependency_changes: DependencyChangesTable;
  dependency_change_sets: DependencyChangeSetsTable;
  dependency_change_set_members: DependencyChangeSetMembersTable;
  package_dependency_changes: PackageDependencyChangesView;
  package_state_changes: PackageStateChangesTable;
  events: EventsTable;
  event_log_state: EventLogStateTable;
  schema_migrations: SchemaMigrationsTable;
  testcases: TestcasesTable;
  result_groups: ResultGroupsTable;
  results: ResultsTable;
  result_data: ResultDataTable;
  result_group_members: ResultGroupMembersTable;
  waivers: WaiversTable;
  gating_permissions: GatingPermissionsTable;
  builders: BuildersTable;
  builds: BuildsTable;
  subscriptions: SubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  event_followers: EventFollowersTable;
  waves: WavesTable;
  wave_nodes: WaveNodesTable;
  wave_state_counts: WaveStateCountsTable;
}

export type User = Selectable<UsersTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type Collection = Selectable<CollectionsTable>;
export type NewCollection = Insertable<CollectionsTable>;
export type CollectionUpdate = Updateable<CollectionsTable>;
export type RepositoryBlob = Selectable<RepositoryBlobsTable>;
export type Snapshot = Selectable<SnapshotsTable>;
export type BinaryPackageRow = Selectable<BinaryPackagesTable>;
export type Package = Selectable<PackagesTable>;
export type NewPackage = Insertable<PackagesTable>;
export type PackageUpdate = Updateable<PackagesTable>;
export type PackageGroup = Selectable<PackageGroupsTable>;
export type Resolution = Selectable<ResolutionsTable>;
export type DependencyChange = Selectable<DependencyChangesTable>;
export type PackageStateChange = Selectable<PackageStateChangesTable>;
export type EventRow = Selectable<EventsTable>;
export type Waiver = Selectable<WaiversTable>;
export type Subscription = Selectable<SubscriptionsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type Build = Selectable<BuildsTable>;
export type Builder = Selectable<BuildersTable>;
