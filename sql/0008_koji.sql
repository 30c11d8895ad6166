-- 0008_koji: the Koji backend (src/builds/koji-backend.ts).

-- A koji worker's capacity is what the hub can take now (its hosts' capacity and task load), which
-- is 0 while the hub is busy or unreachable: the scheduler then queues nothing for it.
ALTER TABLE builders DROP CONSTRAINT builders_capacity_check;
ALTER TABLE builders ADD CONSTRAINT builders_capacity_check CHECK (capacity >= 0);

-- One Koji task belongs to one build: reconciliation after a restart adopts a task found on the hub
-- only when no build records it yet.
CREATE UNIQUE INDEX builds_task_id ON builds (task_id) WHERE task_id IS NOT NULL;
-- Running builds with a task are adopted by koji workers, never requeued (see reclaimExpired).
CREATE INDEX builds_running_koji ON builds (worker) WHERE state = 'running' AND backend = 'koji';
