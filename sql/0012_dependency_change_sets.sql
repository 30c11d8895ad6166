-- 0012_dependency_change_sets: a resolution's dependency changes are stored once per distinct set,
-- not once per package. A regeneration moves the same few binaries under thousands of buildroots:
-- a base buildroot member (perl, libssl3) moves under every package, python3.11 under thousands at
-- the same distance. At bookworm scale the security update wrote 585,856 rows (145 MB) for 34,227
-- packages whose changes form 6,554 distinct sets.
--
-- A set is content-addressed (digest of its rows, written by ingest, src/resolution/ingest.ts) and
-- shared by every resolution with exactly those changes; dependency_changes keeps the rows of
-- builds (baseline last_build) and the previous-resolution rows written before this migration.
CREATE TABLE dependency_change_sets (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  digest text NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$')
);

CREATE TABLE dependency_change_set_members (
  set_id                     bigint NOT NULL REFERENCES dependency_change_sets ON DELETE CASCADE,
  dependency_name            text NOT NULL,
  previous_binary_package_id bigint REFERENCES binary_packages,
  current_binary_package_id  bigint REFERENCES binary_packages,
  kind                       text NOT NULL CHECK (kind IN ('added', 'removed', 'upgraded', 'downgraded')),
  distance                   smallint CHECK (distance >= 1),
  PRIMARY KEY (set_id, dependency_name),
  CHECK ((previous_binary_package_id IS NULL) = (kind = 'added')),
  CHECK ((current_binary_package_id IS NULL) = (kind = 'removed'))
);
CREATE INDEX dependency_change_set_members_dependency_name ON dependency_change_set_members (dependency_name); -- affected-by

-- The changes since the package's previous resolution (null: none).
ALTER TABLE resolutions ADD COLUMN change_set_id bigint REFERENCES dependency_change_sets;
CREATE INDEX resolutions_change_set_id ON resolutions (change_set_id) WHERE change_set_id IS NOT NULL;

-- Every reader of a package's dependency changes reads this.
CREATE VIEW package_dependency_changes AS
  SELECT package_id, snapshot_id, baseline, dependency_name, previous_binary_package_id, current_binary_package_id, kind, distance, build_id
  FROM dependency_changes
  UNION ALL
  SELECT r.package_id, r.snapshot_id, 'previous_resolution', m.dependency_name, m.previous_binary_package_id, m.current_binary_package_id,
    m.kind, m.distance, NULL::bigint
  FROM resolutions r JOIN dependency_change_set_members m ON m.set_id = r.change_set_id;

-- 0010's function, reading the view. One statement for all the packages asked for: after a base
-- move the refresh covers the whole collection.
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

-- Resolutions with a change set bring (or, deleted, take) changes of their package.
CREATE FUNCTION resolutions_refresh_packages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM changed_rows WHERE change_set_id IS NOT NULL));
  ELSE
    PERFORM packages_refresh_unapplied_changes(ARRAY(SELECT DISTINCT package_id FROM removed_rows WHERE change_set_id IS NOT NULL));
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER resolutions_refresh_insert AFTER INSERT ON resolutions
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION resolutions_refresh_packages();
CREATE TRIGGER resolutions_refresh_delete AFTER DELETE ON resolutions
  REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION resolutions_refresh_packages();
