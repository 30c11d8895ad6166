-- 0001_core: the service core (Koschei's data model under Ripple's names).
-- Forward-only; applied by src/db/migrate.ts in one transaction, also runnable with
--   psql -v ON_ERROR_STOP=1 --single-transaction -f sql/0001_core.sql
-- Conventions: ids are identity bigints; enumerations are text + CHECK (readable in psql, cheap to
-- extend in a later migration); every foreign key and every list filter has an index.

-- Users and API tokens ----------------------------------------------------------------------------

CREATE TABLE users (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  email      text,
  is_admin   boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Only the SHA-256 of a token is stored: a database dump never yields usable credentials.
CREATE TABLE api_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['admin', 'maintainer', 'ci']),
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

-- Collections -------------------------------------------------------------------------------------

-- sources: ordered overlay stack, later entries shadow earlier ones, e.g.
--   [{"url": "file:///srv/bookworm", "suite": "bookworm", "components": ["main"]}, ...]
-- base_buildroot: {"group": "build"} | {"packages": [...]} | {"essential": true, "packages": ["build-essential"]}
-- resolver_options: {"weakDeps": false, "firstAlternativeOnly": true, "profiles": ["nocheck"]}
CREATE TABLE collections (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                  text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]*$'),
  display_name          text NOT NULL,
  format                text NOT NULL CHECK (format IN ('rpm-md', 'debian')),
  sources               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sources) = 'array'),
  architectures         text[] NOT NULL DEFAULT '{}',
  base_buildroot        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(base_buildroot) = 'object'),
  resolver_options      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(resolver_options) = 'object'),
  build_backend         text NOT NULL DEFAULT 'simulation',
  build_target          text,
  priority_coefficient  real NOT NULL DEFAULT 1 CHECK (priority_coefficient >= 0),
  poll_interval_seconds integer NOT NULL DEFAULT 1200 CHECK (poll_interval_seconds > 0),
  paused                boolean NOT NULL DEFAULT false,
  state                 text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'ok', 'unresolved', 'error')),
  last_error            text,
  last_error_at         timestamptz,
  current_snapshot_id   bigint, -- REFERENCES snapshots, added below (the two tables point at each other)
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collections_state ON collections (state);

-- Repository content ------------------------------------------------------------------------------

-- Content-addressed: sha256 of the raw metadata, so an unchanged repository is stored once no
-- matter how many snapshots or collections use it. `packages` is the parsed package list,
-- serialised as `encoding` says (the repository reader owns that format).
CREATE TABLE repository_blobs (
  sha256        text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  format        text NOT NULL CHECK (format IN ('rpm-md', 'debian')),
  encoding      text NOT NULL DEFAULT 'json+gzip',
  packages      bytea NOT NULL,
  raw_size      bigint NOT NULL CHECK (raw_size >= 0),
  package_count integer NOT NULL CHECK (package_count >= 0),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- One poll result of a collection: the ordered overlay of blobs (element i comes from sources[i]),
-- and the base buildroot resolved against it. At most one snapshot per collection is active.
CREATE TABLE snapshots (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id  bigint NOT NULL REFERENCES collections ON DELETE CASCADE,
  sequence       integer NOT NULL CHECK (sequence > 0),
  fingerprint    jsonb NOT NULL DEFAULT '{}',
  blob_sha256s   text[] NOT NULL DEFAULT '{}',
  state          text NOT NULL DEFAULT 'ingesting' CHECK (state IN ('ingesting', 'active', 'failed', 'superseded')),
  error          text,
  base_resolved  boolean,
  base_problems  jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(base_problems) = 'array'),
  base_buildroot bytea,
  binary_count   integer,
  source_count   integer,
  created_at     timestamptz NOT NULL DEFAULT now(),
  activated_at   timestamptz,
  UNIQUE (collection_id, sequence)
);
CREATE UNIQUE INDEX snapshots_one_active ON snapshots (collection_id) WHERE state = 'active';
CREATE INDEX snapshots_state ON snapshots (state);
-- "Is this blob still referenced?" for garbage collection of repository_blobs.
CREATE INDEX snapshots_blob_sha256s ON snapshots USING gin (blob_sha256s);

ALTER TABLE collections
  ADD CONSTRAINT collections_current_snapshot_id_fkey
  FOREIGN KEY (current_snapshot_id) REFERENCES snapshots ON DELETE SET NULL;
CREATE INDEX collections_current_snapshot_id ON collections (current_snapshot_id);

-- Flyweight of binary NEVRAs. Buildroots are sets of these ids (sorted, delta-encoded, compressed
-- bytea), so buildroots from different snapshots compare by id. Debian: release is ''.
CREATE TABLE binary_packages (
  id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name    text NOT NULL,
  epoch   integer NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  version text NOT NULL,
  release text NOT NULL DEFAULT '',
  arch    text NOT NULL,
  UNIQUE (name, epoch, version, release, arch)
);

-- Packages ----------------------------------------------------------------------------------------

-- State, first match wins: blocked, untracked, unresolved, ok, failing, unknown.
CREATE TABLE packages (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id      bigint NOT NULL REFERENCES collections ON DELETE CASCADE,
  name               text NOT NULL,
  tracked            boolean NOT NULL DEFAULT true,
  blocked            boolean NOT NULL DEFAULT false,
  arch_override      text[],
  manual_priority    integer NOT NULL DEFAULT 0,
  static_priority    integer NOT NULL DEFAULT 0,
  snooze_until       timestamptz,
  state              text NOT NULL DEFAULT 'unknown'
                     CHECK (state IN ('ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown')),
  state_since        timestamptz NOT NULL DEFAULT now(),
  state_snapshot_id  bigint REFERENCES snapshots ON DELETE SET NULL,
  resolved           boolean,
  last_resolution_id bigint, -- REFERENCES resolutions, added below
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (collection_id, name)
);
CREATE INDEX packages_collection_id_state ON packages (collection_id, state);
CREATE INDEX packages_name ON packages (name); -- multi-collection search and group membership joins
CREATE INDEX packages_state_snapshot_id ON packages (state_snapshot_id);

-- Groups: namespace_user_id NULL is the global namespace.
CREATE TABLE package_groups (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace_user_id bigint REFERENCES users ON DELETE CASCADE,
  name              text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._+-]*$'),
  description       text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (namespace_user_id, name)
);
-- Members are package names, not package rows: a group spans collections.
CREATE TABLE package_group_members (
  group_id     bigint NOT NULL REFERENCES package_groups ON DELETE CASCADE,
  package_name text NOT NULL,
  PRIMARY KEY (group_id, package_name)
);
CREATE INDEX package_group_members_package_name ON package_group_members (package_name);
CREATE TABLE package_group_maintainers (
  group_id bigint NOT NULL REFERENCES package_groups ON DELETE CASCADE,
  user_id  bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX package_group_maintainers_user_id ON package_group_maintainers (user_id);

-- Resolution --------------------------------------------------------------------------------------

-- problems: human-readable strings (Koschei's `Problem: ...` form); root_cause: structured
-- explanation of the first problem; buildroot: binary_packages ids, encoded as above.
CREATE TABLE resolutions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id     bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  snapshot_id    bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
  resolved       boolean NOT NULL,
  problems       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(problems) = 'array'),
  root_cause     jsonb,
  buildroot      bytea,
  buildroot_size integer CHECK (buildroot_size >= 0),
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (package_id, snapshot_id)
);
CREATE INDEX resolutions_snapshot_id ON resolutions (snapshot_id);

ALTER TABLE packages
  ADD CONSTRAINT packages_last_resolution_id_fkey
  FOREIGN KEY (last_resolution_id) REFERENCES resolutions ON DELETE SET NULL;
CREATE INDEX packages_last_resolution_id ON packages (last_resolution_id);

-- One row per dependency name whose NEVRA moved between the baseline and this snapshot's
-- buildroot. distance: 1 = direct build dependency ... 4; NULL = further away or base buildroot.
CREATE TABLE dependency_changes (
  id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id                 bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  snapshot_id                bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
  baseline                   text NOT NULL CHECK (baseline IN ('previous_resolution', 'last_build')),
  dependency_name            text NOT NULL,
  previous_binary_package_id bigint REFERENCES binary_packages,
  current_binary_package_id  bigint REFERENCES binary_packages,
  kind                       text NOT NULL CHECK (kind IN ('added', 'removed', 'upgraded', 'downgraded')),
  distance                   smallint CHECK (distance >= 1),
  UNIQUE (package_id, snapshot_id, baseline, dependency_name),
  CHECK ((previous_binary_package_id IS NULL) = (kind = 'added')),
  CHECK ((current_binary_package_id IS NULL) = (kind = 'removed'))
);
CREATE INDEX dependency_changes_snapshot_id ON dependency_changes (snapshot_id);
CREATE INDEX dependency_changes_dependency_name ON dependency_changes (dependency_name); -- affected-by
CREATE INDEX dependency_changes_previous_binary_package_id ON dependency_changes (previous_binary_package_id);
CREATE INDEX dependency_changes_current_binary_package_id ON dependency_changes (current_binary_package_id);

CREATE TABLE package_state_changes (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id     bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  snapshot_id    bigint REFERENCES snapshots ON DELETE SET NULL,
  previous_state text CHECK (previous_state IN ('ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown')),
  state          text NOT NULL CHECK (state IN ('ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown')),
  reason         text NOT NULL DEFAULT '',
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX package_state_changes_package_id_at ON package_state_changes (package_id, at);
CREATE INDEX package_state_changes_snapshot_id ON package_state_changes (snapshot_id);
CREATE INDEX package_state_changes_at ON package_state_changes (at);

-- Event log ---------------------------------------------------------------------------------------

-- Append-only. Writers go through src/events/event-log.ts, which serialises appends with an
-- advisory lock so ids become visible in increasing order. collection_id is deliberately not a
-- foreign key: history outlives the collection, and ON DELETE SET NULL would be an UPDATE.
-- occurred_at defaults to clock_timestamp() (taken after the lock), so it rises with id.
CREATE TABLE events (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type          text NOT NULL CHECK (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  collection_id bigint,
  package_name  text,
  payload       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object')
);
CREATE INDEX events_type_id ON events (type, id);
CREATE INDEX events_collection_id_id ON events (collection_id, id);
CREATE INDEX events_package_name_id ON events (package_name, id);
CREATE INDEX events_occurred_at ON events (occurred_at);

-- Everything with id <= pruned_through_id may be gone: a client resuming after an older id has
-- missed events and must resynchronise from current state.
CREATE TABLE event_log_state (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  pruned_through_id bigint NOT NULL DEFAULT 0,
  pruned_at         timestamptz
);
INSERT INTO event_log_state DEFAULT VALUES;

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('ripple.pruning_events', true) = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'events is append-only: % is not allowed (retention goes through prune_events)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Deletes the oldest events up to the newest one that occurred before older_than (always a
-- prefix of the log, so the low-water mark is exact) and returns how many went.
CREATE FUNCTION prune_events(older_than timestamptz) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  through bigint;
  removed bigint;
BEGIN
  SELECT max(id) INTO through FROM events WHERE occurred_at < older_than;
  IF through IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('ripple.pruning_events', 'on', true);
  DELETE FROM events WHERE id <= through;
  GET DIAGNOSTICS removed = ROW_COUNT;
  PERFORM set_config('ripple.pruning_events', 'off', true);
  UPDATE event_log_state SET pruned_through_id = greatest(pruned_through_id, through), pruned_at = now();
  RETURN removed;
END
$$;
