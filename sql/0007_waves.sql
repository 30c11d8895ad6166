-- 0007_waves: rebuild waves ("rebuild everything affected by X", a group, a list) and build cancel.
-- A wave is planned (its packages ordered into batches on the build-dependency graph, with a cost
-- estimate), then run by the scheduler role: the tick queues the current batch's builds through
-- the ordinary queue (same cap, backends and fairness) and advances batches under its advisory
-- lock (src/scheduling/waves.ts).

-- Build cancel: one spelling for the state ('canceled', as in the API and the build.canceled event).
UPDATE builds SET state = 'canceled' WHERE state = 'cancelled';
ALTER TABLE builds DROP CONSTRAINT builds_state_check;
ALTER TABLE builds ADD CONSTRAINT builds_state_check
  CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'infra-failed'));
-- Who canceled (or asked a running build to stop); the worker reports it when it stops the build.
ALTER TABLE builds ADD COLUMN canceled_by text;

-- target: {"kind": "affected" | "group" | "packages", "value": "libbar" | "ns/name" | ["a", "b"]}
-- estimate: {"builds", "buildSeconds", "expectedSeconds", "fromHistory", "fallback", "fallbackSeconds", "batchSeconds": [...]}
-- current_batch: the batch whose builds are queued or running (null before start and once done).
-- waiting_for: why the next batch is held back (the rebuild policy), null when it is not.
CREATE TABLE waves (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  collection_id bigint NOT NULL REFERENCES collections ON DELETE CASCADE,
  snapshot_id   bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
  target        jsonb NOT NULL CHECK (jsonb_typeof(target) = 'object'),
  description   text NOT NULL DEFAULT '',
  state         text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'running', 'paused', 'canceled', 'finished')),
  batch_count   integer NOT NULL CHECK (batch_count >= 0),
  current_batch integer,
  estimate      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(estimate) = 'object'),
  waiting_for   text,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
CREATE INDEX waves_collection_id_id ON waves (collection_id, id);
-- The tick looks at running waves only.
CREATE INDEX waves_running ON waves (id) WHERE state = 'running';

-- One row per package of a wave. cycle: the strongly connected component it belongs to when that
-- has more than one member (all members share a batch and are queued together), else null.
-- estimate_source: 'history' (its own past builds), 'collection' (the collection's median),
-- 'default' (no build history at all).
CREATE TABLE wave_nodes (
  wave_id          bigint NOT NULL REFERENCES waves ON DELETE CASCADE,
  package_id       bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  batch            integer NOT NULL CHECK (batch >= 0),
  cycle            integer,
  state            text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'queued', 'building', 'built', 'failed', 'blocked', 'canceled')),
  build_id         bigint REFERENCES builds ON DELETE SET NULL,
  expected_seconds integer NOT NULL CHECK (expected_seconds >= 0),
  estimate_source  text NOT NULL CHECK (estimate_source IN ('history', 'collection', 'default')),
  reason           text,
  PRIMARY KEY (wave_id, package_id)
);
-- The tick reads the pending packages of each running wave's current batch.
CREATE INDEX wave_nodes_pending_batch ON wave_nodes (wave_id, batch) WHERE state = 'pending';
-- The tick follows the builds of queued and building nodes.
CREATE INDEX wave_nodes_active ON wave_nodes (build_id) WHERE state IN ('queued', 'building');

-- The build-dependency edges inside the wave (dependency -> dependent), for failure propagation
-- and for drawing the graph.
CREATE TABLE wave_edges (
  wave_id       bigint NOT NULL REFERENCES waves ON DELETE CASCADE,
  dependency_id bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  dependent_id  bigint NOT NULL REFERENCES packages ON DELETE CASCADE,
  PRIMARY KEY (wave_id, dependency_id, dependent_id)
);
