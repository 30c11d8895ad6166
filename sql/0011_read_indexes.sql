-- 0011_read_indexes: what the read endpoints need at full scale (34k packages in one collection;
-- bench/service.ts, docs/benchmarks.md).

-- Package list filtered by state, in name order: one index range instead of walking every name
-- and filtering. Its prefix serves everything the (collection_id, state) index did.
CREATE INDEX packages_collection_id_state_name ON packages (collection_id, state, name);
DROP INDEX packages_collection_id_state;

-- Package list by priority (highest first, then name), as the web UI sorts it.
CREATE INDEX packages_collection_id_priority_name ON packages (collection_id, (manual_priority + static_priority) DESC, name);

-- State history: packages created in the window, read from the index in time order.
CREATE INDEX packages_collection_id_created_at ON packages (collection_id, created_at);

-- Package counts by collection and state, so that a collection page, its history and a package
-- list's total do not count 34k packages per request. Kept as deltas: a statement-level trigger
-- appends, per statement on packages, one row per (collection, state) whose count moved; readers
-- sum a handful of rows and fold them back into one per state when they pile up
-- (src/collections/state-counts.ts). Append-only, so writers never wait for each other: a single
-- counter row per state would hold every build's state change behind a running ingest's transaction.
CREATE TABLE package_state_counts (
  collection_id bigint NOT NULL REFERENCES collections ON DELETE CASCADE,
  state         text NOT NULL,
  n             integer NOT NULL
);
CREATE INDEX package_state_counts_collection_id ON package_state_counts (collection_id);

CREATE FUNCTION package_state_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each branch names only the transition tables its event has. Rows of a collection being
  -- deleted (cascade) are skipped: its counts go with it.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO package_state_counts (collection_id, state, n)
    SELECT collection_id, state, count(*) FROM new_rows
    WHERE EXISTS (SELECT 1 FROM collections c WHERE c.id = collection_id) GROUP BY 1, 2;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO package_state_counts (collection_id, state, n)
    SELECT collection_id, state, -count(*) FROM old_rows
    WHERE EXISTS (SELECT 1 FROM collections c WHERE c.id = collection_id) GROUP BY 1, 2;
  ELSE
    INSERT INTO package_state_counts (collection_id, state, n)
    SELECT collection_id, state, sum(d) FROM (
      SELECT collection_id, state, 1 AS d FROM new_rows
      UNION ALL SELECT collection_id, state, -1 FROM old_rows
    ) moved
    WHERE EXISTS (SELECT 1 FROM collections c WHERE c.id = collection_id)
    GROUP BY 1, 2 HAVING sum(d) <> 0;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER packages_state_counts_insert AFTER INSERT ON packages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION package_state_counts_track();
CREATE TRIGGER packages_state_counts_update AFTER UPDATE ON packages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION package_state_counts_track();
CREATE TRIGGER packages_state_counts_delete AFTER DELETE ON packages
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION package_state_counts_track();

-- The triggers' lock on packages keeps writers out until this commits, so the counts start exact.
INSERT INTO package_state_counts (collection_id, state, n)
SELECT collection_id, state, count(*) FROM packages GROUP BY 1, 2;
