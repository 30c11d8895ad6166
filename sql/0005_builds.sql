-- 0005_builds: scheduled scratch rebuilds and the workers that run them.
-- The queue is the builds table itself: schedulers insert 'queued' rows, workers claim them with
-- FOR UPDATE SKIP LOCKED and hold a lease they renew (src/builds/build-queue.ts).

-- Build workers (PkgForge-style daemons): each serves a backend and a set of architectures with a
-- capacity. A worker that has not been seen for a lease period does not count as capacity.
CREATE TABLE builders (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  backend       text NOT NULL CHECK (backend IN ('local', 'simulation', 'koji')),
  platforms     text[] NOT NULL DEFAULT '{}',
  arches        text[] NOT NULL DEFAULT '{}',
  capacity      integer NOT NULL DEFAULT 1 CHECK (capacity > 0),
  draining      boolean NOT NULL DEFAULT false,
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX builders_backend_last_seen ON builders (backend, last_seen);

-- reason: why the scheduler submitted it, e.g.
--   {"kind": "dependency-change", "changes": [{"name": "libbar", "previous": "...", "current": "...", "distance": 1}]}
--   {"kind": "manual" | "time" | "failed-retry", ...}
-- outcome (finished builds): passed, fixed (previous build failed), regression (previous passed),
-- still-failing (previous failed), failed (no previous build to compare with), infra (gave up
-- after infrastructure failures; never counts as the package failing).
-- buildroot: the dependency set it built with, encoded like resolutions.buildroot.
CREATE TABLE builds (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id       bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  snapshot_id      bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
  backend          text NOT NULL CHECK (backend IN ('local', 'simulation', 'koji')),
  arch             text,
  state            text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'infra-failed')),
  reason           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(reason) = 'object'),
  priority         integer NOT NULL,
  attempt          integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  not_before       timestamptz, -- retry backoff: not claimable before this
  worker           text,
  lease_expires_at timestamptz,
  queued_at        timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  duration_ms      integer CHECK (duration_ms >= 0),
  log_path         text,
  exit_status      integer,
  error            text, -- last infrastructure error (lease lost, timeout, backend unreachable)
  outcome          text CHECK (outcome IN ('passed', 'fixed', 'regression', 'still-failing', 'failed', 'infra')),
  task_id          bigint, -- Koji task
  cancel_requested boolean NOT NULL DEFAULT false,
  buildroot        bytea,
  buildroot_size   integer CHECK (buildroot_size >= 0),
  CHECK ((state IN ('queued', 'running')) = (finished_at IS NULL))
);
-- At most one active build per package: a second scheduler can never double-submit.
CREATE UNIQUE INDEX builds_one_active_per_package ON builds (package_id) WHERE state IN ('queued', 'running');
-- The claim: highest priority first among queued builds of a backend.
CREATE INDEX builds_queue ON builds (backend, priority DESC, id) WHERE state = 'queued';
CREATE INDEX builds_running_lease ON builds (lease_expires_at) WHERE state = 'running';
CREATE INDEX builds_package_id_id ON builds (package_id, id);
CREATE INDEX builds_snapshot_id ON builds (snapshot_id);
CREATE INDEX builds_state ON builds (state);

-- Dependency changes against the previous build (baseline 'last_build') belong to the build that
-- applied them. Two builds of one package in one snapshot share its buildroot, so the second has
-- no changes and the existing unique key (package, snapshot, baseline, name) still holds.
ALTER TABLE dependency_changes ADD COLUMN build_id bigint REFERENCES builds ON DELETE CASCADE;
CREATE INDEX dependency_changes_build_id ON dependency_changes (build_id);
