-- 0013_wave_nodes: wave storage that a whole-archive wave and the scheduler tick can afford.

-- A wave's build-dependency edges become one array per node. A whole-archive wave has 5.35
-- million edges (every package depends on the base buildroot's sources): as rows of wave_edges,
-- storing them took minutes. As 34k arrays they are written in seconds, and failure propagation
-- still walks them in one recursive statement (src/scheduling/waves.ts).
-- dependents: package ids of the wave's nodes that build-depend on this one directly (a package
-- deleted since is simply not found among the nodes).
ALTER TABLE wave_nodes ADD COLUMN dependents bigint[] NOT NULL DEFAULT '{}';

UPDATE wave_nodes n SET dependents = e.ids
FROM (SELECT wave_id, dependency_id, array_agg(dependent_id ORDER BY dependent_id) AS ids FROM wave_edges GROUP BY wave_id, dependency_id) e
WHERE n.wave_id = e.wave_id AND n.package_id = e.dependency_id;

DROP TABLE wave_edges;

-- Nodes per wave and state, kept by triggers: every tick reports a running wave's counts, and
-- counting a whole-archive wave's 34k nodes took 6-15 ms of a 50 ms tick.
CREATE TABLE wave_state_counts (
  wave_id bigint NOT NULL REFERENCES waves ON DELETE CASCADE,
  state   text NOT NULL,
  nodes   integer NOT NULL CHECK (nodes >= 0),
  PRIMARY KEY (wave_id, state)
);

INSERT INTO wave_state_counts (wave_id, state, nodes) SELECT wave_id, state, count(*) FROM wave_nodes GROUP BY wave_id, state;

-- Rows in (wave_id, state) order, so concurrent statements lock the counts in one order.
CREATE FUNCTION wave_state_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE wave_state_counts c SET nodes = c.nodes - o.nodes
    FROM (SELECT wave_id, state, count(*) AS nodes FROM old_nodes GROUP BY wave_id, state ORDER BY wave_id, state) o
    WHERE c.wave_id = o.wave_id AND c.state = o.state;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO wave_state_counts AS c (wave_id, state, nodes)
    SELECT wave_id, state, count(*) FROM new_nodes GROUP BY wave_id, state ORDER BY wave_id, state
    ON CONFLICT (wave_id, state) DO UPDATE SET nodes = c.nodes + excluded.nodes;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER wave_state_counts_insert AFTER INSERT ON wave_nodes
  REFERENCING NEW TABLE AS new_nodes FOR EACH STATEMENT EXECUTE FUNCTION wave_state_counts_apply();
CREATE TRIGGER wave_state_counts_update AFTER UPDATE ON wave_nodes
  REFERENCING OLD TABLE AS old_nodes NEW TABLE AS new_nodes FOR EACH STATEMENT EXECUTE FUNCTION wave_state_counts_apply();
CREATE TRIGGER wave_state_counts_delete AFTER DELETE ON wave_nodes
  REFERENCING OLD TABLE AS old_nodes FOR EACH STATEMENT EXECUTE FUNCTION wave_state_counts_apply();

-- The packages of a collection that can never build: every tick marks those in a running wave's
-- current batch blocked, starting from these few instead of the batch's thousands of nodes.
CREATE INDEX packages_unbuildable ON packages (collection_id) WHERE NOT tracked OR blocked OR resolved IS NOT TRUE;
