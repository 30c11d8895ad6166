-- 0002_ingest: what the watcher and the resolver role need to share work safely.

-- A snapshot being ingested is a claim on its collection: one at a time (unique index), held by
-- one instance, with a lease the holder renews; an expired lease means the holder died and the
-- next instance marks that snapshot failed and starts over.
ALTER TABLE snapshots
  ADD COLUMN claimed_by        text,
  ADD COLUMN lease_expires_at  timestamptz,
  ADD COLUMN resolved_count    integer,
  ADD COLUMN unresolved_count  integer,
  -- incremental resolution: how many sources were solved anew vs carried over unchanged
  ADD COLUMN solved_count      integer,
  ADD COLUMN changed_count     integer,
  ADD COLUMN duration_ms       integer;
CREATE UNIQUE INDEX snapshots_one_ingesting ON snapshots (collection_id) WHERE state = 'ingesting';

-- When the watcher last looked at the collection's repositories, and an explicit "regenerated
-- now" request (API, CLI) that makes the next watcher tick look regardless of the poll interval.
ALTER TABLE collections
  ADD COLUMN last_polled_at          timestamptz,
  ADD COLUMN regenerate_requested_at timestamptz;
CREATE INDEX collections_regenerate_requested_at ON collections (regenerate_requested_at) WHERE regenerate_requested_at IS NOT NULL;
