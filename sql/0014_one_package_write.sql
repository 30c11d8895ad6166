-- 0014_one_package_write: an ingest writes each package row once.
--
-- 0012's insert trigger on resolutions refreshed packages.unapplied_change_distances after the
-- ingest had inserted a snapshot's resolutions, and the ingest then updated the same rows again
-- (state, last resolution): two row versions per package per regeneration, 34k at Debian scale.
-- The ingest, the only writer of resolutions, now sets the distances in its own package update
-- from the same computation (src/resolution/ingest.ts, updatePackages); builds and deletions keep
-- their triggers.

-- The distances of packages `ids` as packages_refresh_unapplied_changes (0012) computes them.
CREATE FUNCTION unapplied_change_distances_of(ids bigint[]) RETURNS TABLE (package_id bigint, distances integer[]) LANGUAGE sql STABLE AS $$
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
$$;

CREATE OR REPLACE FUNCTION packages_refresh_unapplied_changes(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM packages WHERE id = ANY(ids) ORDER BY id FOR UPDATE;
  UPDATE packages p SET unapplied_change_distances = x.distances
  FROM unapplied_change_distances_of(ids) x
  WHERE p.id = x.package_id AND p.unapplied_change_distances IS DISTINCT FROM x.distances;
END
$$;

DROP TRIGGER resolutions_refresh_insert ON resolutions;
