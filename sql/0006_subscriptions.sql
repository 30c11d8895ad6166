-- 0006_subscriptions: users subscribe to groups and packages; subscriptions with a webhook get
-- one delivery row per matching event, created from the event log by a follower with a persisted
-- cursor (event_followers), so nothing is missed while no instance was running.

-- One of group_id / package_name. types: event type filter (exact or `package.*`); empty = all.
-- The webhook secret is stored as given: it is needed to sign every delivery.
CREATE TABLE subscriptions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  group_id       bigint REFERENCES package_groups ON DELETE CASCADE,
  package_name   text,
  types          text[] NOT NULL DEFAULT '{}',
  webhook_url    text CHECK (webhook_url ~ '^https?://'),
  webhook_secret text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((group_id IS NULL) <> (package_name IS NULL)),
  CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL)),
  UNIQUE NULLS NOT DISTINCT (user_id, group_id, package_name)
);
CREATE INDEX subscriptions_group_id ON subscriptions (group_id);
CREATE INDEX subscriptions_package_name ON subscriptions (package_name);

-- One row per (subscription, event). attempts counts POSTs made; next_attempt_at is also the
-- lease of a claimed delivery (a worker that dies mid-request leaves it due again). history
-- holds every attempt's outcome, bounded by the configured maximum of attempts.
CREATE TABLE webhook_deliveries (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id bigint NOT NULL REFERENCES subscriptions ON DELETE CASCADE,
  event_id        bigint NOT NULL, -- not a foreign key: the log is pruned, the delivery record stays
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  response_code   integer,
  error           text,
  history         jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(history) = 'array'),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_event_id ON webhook_deliveries (event_id);

-- Persisted cursors of log followers ('webhooks', 'amqp'): the last event id fully handled.
-- They start at the log's end when this migration runs: history before it is not replayed.
CREATE TABLE event_followers (
  name          text PRIMARY KEY,
  last_event_id bigint NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO event_followers (name, last_event_id)
  SELECT f.name, coalesce((SELECT max(id) FROM events), (SELECT pruned_through_id FROM event_log_state), 0)
  FROM (VALUES ('webhooks'), ('amqp')) AS f (name);
