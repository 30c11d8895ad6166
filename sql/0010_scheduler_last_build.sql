-- 0010_scheduler_last_build: what the scheduler ranks a package by, kept on the package row.
-- A tick ranks every package by the time since its last finished build, that build's outcome, and
-- the distances of the dependency changes since that build's snapshot (src/scheduling/candidates.ts).
-- Read from here, a tick reads only the packages that can be due, through the indexes below,
-- instead of probing builds and dependency_changes for each of 34k packages (most of a 0.6 s tick,
-- docs/benchmarks.md). Triggers keep the columns, so every writer of builds and dependency changes
-- (completion, cancel, ingest, imports, tests) keeps them right.
--   last_build_*: the build with the highest id in state succeeded or failed (no foreign key: the
--     trigger recomputes it when a build goes away).
--   unapplied_change_distances: per dependency name changed (baseline previous_resolution) in a
--     snapshot after the last build's, its nearest distance; sorted, unknown (null) last; null when
--     there is none.
ALTER TABLE packages
  ADD COLUMN last_build_id bigint,
  ADD COLUMN last_build_finished_at timestamptz,
  ADD COLUMN last_build_outcome text,
  ADD COLUMN last_build_snapshot_id bigint,
  ADD COLUMN unapplied_change_distances integer[];

-- Locks the rows first: a concurrent ingest or build completion then waits, and this recomputes
-- from what it committed (each statement of a function sees the latest commits).
CREATE FUNCTION packages_refresh_unapplied_changes(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM packages WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
  UPDATE packages p SET unapplied_change_distances = x.distances
  FROM (
    SELECT q.id, (
      SELECT array_agg(d.distance ORDER BY d.distance NULLS LAST)::integer[] FROM (
        SELECT min(dc.distance) AS distance FROM dependency_changes dc JOIN snapshots s ON s.id = dc.snapshot_id
        WHERE dc.package_id = q.id AND dc.baseline = 'previous_resolution' AND s.sequence > coalesce(ls.sequence, 0)
        GROUP BY dc.dependency_name) d
    ) AS distances
    FROM packages q LEFT JOIN snapshots ls ON ls.id = q.last_build_snapshot_id
    WHERE q.id = ANY(ids)
  ) x
  WHERE p.id = x.id AND p.unapplied_change_distances IS DISTINCT FROM x.distances;
END
$$;

CREATE FUNCTION packages_refresh_last_build() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pkg bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    pkg := OLD.package_id;
  ELSE
    pkg := NEW.package_id;
  END IF;
  -- No finished build left: the row subquery yields nulls.
  UPDATE packages p SET (last_build_id, last_build_finished_at, last_build_outcome, last_build_snapshot_id) = (
    SELECT b.id, b.finished_at, b.outcome, b.snapshot_id FROM builds b
    WHERE b.package_id = pkg AND b.state IN ('succeeded', 'failed') ORDER BY b.id DESC LIMIT 1)
  WHERE p.id = pkg;
  PERFORM packages_refresh_unapplied_changes(ARRAY[pkg]);
  RETURN NULL;
END
$$;
CREATE TRIGGER builds_refresh_last_build_insert AFTER INSERT ON builds
  FOR EACH ROW WHEN (NEW.state IN ('succeeded', 'failed')) EXECUTE FUNCTION packages_refresh_last_build();
CREATE TRIGGER builds_refresh_last_build_update AFTER UPDATE OF state, outcome, finished_at, snapshot_id ON builds
  FOR EACH ROW WHEN (NEW.state IN ('succeeded', 'failed') OR OLD.state IN ('succeeded', 'failed'))
  EXECUTE FUNCTION packages_refresh_last_build();
CREATE TRIGGER builds_refresh_last_build_delete AFTER DELETE ON builds
  FOR EACH ROW WHEN (OLD.state IN ('succeeded', 'failed')) EXECUTE FUNCTION packages_refresh_last_build();

-- Per statement (an ingest inserts the changes of thousands of packages at once), set-based.
CREATE FUNCTION dependency_changes_refresh_packages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM changed_rows));
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM removed_rows));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER dependency_changes_refresh_insert AFTER INSERT ON dependency_changes
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dependency_changes_refresh_packages();
CREATE TRIGGER dependency_changes_refresh_update AFTER UPDATE ON dependency_changes
  REFERENCING OLD TABLE AS removed_rows NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION dependency_changes_refresh_packages();
CREATE TRIGGER dependency_changes_refresh_delete AFTER DELETE ON dependency_changes
  REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION dependency_changes_refresh_packages();

UPDATE packages p SET last_build_id = b.id, last_build_finished_at = b.finished_at, last_build_outcome = b.outcome,
  last_build_snapshot_id = b.snapshot_id
FROM (
  SELECT DISTINCT ON (package_id) package_id, id, finished_at, outcome, snapshot_id FROM builds
  WHERE state IN ('succeeded', 'failed') ORDER BY package_id, id DESC
) b
WHERE b.package_id = p.id;
SELECT packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM dependency_changes WHERE baseline = 'previous_resolution'));

-- The tick reads only the packages that can be due (rankCandidates): by their unapplied changes, by
-- a manual or static priority, or by the time since their last build (per collection, with or
-- without the failed-build priority); a wave's current batch comes from wave_nodes.
CREATE INDEX packages_unapplied_changes ON packages (id) WHERE unapplied_change_distances IS NOT NULL;
CREATE INDEX packages_priority_flags ON packages (id) WHERE manual_priority <> 0 OR static_priority <> 0;
-- Not partial: PostgreSQL keeps statistics on the expression of a full index only, and the tick's
-- plan depends on knowing how few packages are due.
CREATE INDEX packages_due_by_time ON packages (collection_id, (coalesce(last_build_finished_at, created_at)));
CREATE INDEX packages_failed_due_by_time ON packages (collection_id, (coalesce(last_build_finished_at, created_at)))
  WHERE tracked AND NOT blocked AND resolved AND last_build_outcome IN ('regression', 'failed');
