-- 0012_base_dependency_changes: a base buildroot move is stored once per snapshot, not once per
-- package. Every resolved buildroot holds the whole base, so when the base moves (a security
-- update of perl or libssl3) every package of the collection had the same dependency changes: at
-- bookworm scale 585,856 rows and 145 MB per regeneration, almost all of them these.
--
-- A resolution with base_changed carries its snapshot's base changes: its dependency changes are
-- its own rows plus those. Ingest sets it only where that union is exactly what the package's own
-- diff was (src/resolution/ingest.ts), so readers of package_dependency_changes see the same rows
-- as when each package stored them.
CREATE TABLE base_dependency_changes (
  snapshot_id                bigint NOT NULL REFERENCES snapshots ON DELETE CASCADE,
  dependency_name            text NOT NULL,
  previous_binary_package_id bigint REFERENCES binary_packages,
  current_binary_package_id  bigint REFERENCES binary_packages,
  kind                       text NOT NULL CHECK (kind IN ('added', 'removed', 'upgraded', 'downgraded')),
  PRIMARY KEY (snapshot_id, dependency_name),
  CHECK ((previous_binary_package_id IS NULL) = (kind = 'added')),
  CHECK ((current_binary_package_id IS NULL) = (kind = 'removed'))
);

ALTER TABLE resolutions ADD COLUMN base_changed boolean NOT NULL DEFAULT false;

-- Every reader of a package's dependency changes reads this. Base members have no distance.
CREATE VIEW package_dependency_changes AS
  SELECT package_id, snapshot_id, baseline, dependency_name, previous_binary_package_id, current_binary_package_id, kind, distance, build_id
  FROM dependency_changes
  UNION ALL
  SELECT r.package_id, r.snapshot_id, 'previous_resolution', b.dependency_name, b.previous_binary_package_id, b.current_binary_package_id,
    b.kind, NULL::smallint, NULL::bigint
  FROM resolutions r JOIN base_dependency_changes b ON b.snapshot_id = r.snapshot_id
  WHERE r.base_changed;

-- 0010's function, reading the view. One statement for all the packages asked for: the refresh
-- after a base move covers the whole collection.
CREATE OR REPLACE FUNCTION packages_refresh_unapplied_changes(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM packages WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
  UPDATE packages p SET unapplied_change_distances = x.distances
  FROM (
    SELECT q.id, d.distances
    FROM packages q
    LEFT JOIN (
      SELECT n.package_id, array_agg(n.distance ORDER BY n.distance NULLS LAST)::integer[] AS distances
      FROM (
        SELECT dc.package_id, min(dc.distance) AS distance
        FROM packages q2
        LEFT JOIN snapshots ls ON ls.id = q2.last_build_snapshot_id
        JOIN package_dependency_changes dc ON dc.package_id = q2.id AND dc.baseline = 'previous_resolution'
        JOIN snapshots s ON s.id = dc.snapshot_id AND s.sequence > coalesce(ls.sequence, 0)
        WHERE q2.id = ANY(ids)
        GROUP BY dc.package_id, dc.dependency_name
      ) n
      GROUP BY n.package_id
    ) d ON d.package_id = q.id
    WHERE q.id = ANY(ids)
  ) x
  WHERE p.id = x.id AND p.unapplied_change_distances IS DISTINCT FROM x.distances;
END
$$;

-- Resolutions that carry base changes bring (or, deleted, take) changes of their own package.
CREATE FUNCTION resolutions_refresh_packages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM changed_rows WHERE base_changed));
  ELSE
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM removed_rows WHERE base_changed));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER resolutions_refresh_insert AFTER INSERT ON resolutions
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION resolutions_refresh_packages();
CREATE TRIGGER resolutions_refresh_delete AFTER DELETE ON resolutions
  REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION resolutions_refresh_packages();
