-- 0004_results_waivers: test results (ResultsDB model), waivers (WaiverDB model) and who may
-- post them. Decisions (Greenwave) are computed from these tables on request; nothing is cached.

-- Results -----------------------------------------------------------------------------------------

CREATE TABLE testcases (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  ref_url    text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE result_groups (
  uuid        text PRIMARY KEY,
  description text,
  ref_url     text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE results (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  testcase_id bigint NOT NULL REFERENCES testcases,
  outcome     text NOT NULL
              CHECK (outcome IN ('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION', 'QUEUED', 'RUNNING', 'ERROR')),
  note        text,
  ref_url     text,
  submit_time timestamptz NOT NULL DEFAULT now()
);
-- Newest-first listing, and "latest per testcase" as one index probe per testcase.
CREATE INDEX results_submit_time_id ON results (submit_time DESC, id DESC);
CREATE INDEX results_testcase_id_submit_time_id ON results (testcase_id, submit_time DESC, id DESC);

-- Multi-valued key/value data. (key, value) finds the results of a subject (item=NVR) without a
-- scan; values are bounded in length (see results/service.ts) so they always fit a btree entry.
CREATE TABLE result_data (
  result_id bigint NOT NULL REFERENCES results ON DELETE CASCADE,
  key       text NOT NULL CHECK (key <> '' AND position(':' in key) = 0),
  value     text NOT NULL
);
CREATE INDEX result_data_key_value_result_id ON result_data (key, value, result_id);
CREATE INDEX result_data_result_id_key ON result_data (result_id, key);

CREATE TABLE result_group_members (
  group_uuid text NOT NULL REFERENCES result_groups ON DELETE CASCADE,
  result_id  bigint NOT NULL REFERENCES results ON DELETE CASCADE,
  PRIMARY KEY (group_uuid, result_id)
);
CREATE INDEX result_group_members_result_id ON result_group_members (result_id);

-- Waivers -----------------------------------------------------------------------------------------

-- Append-only: a waiver is revoked by a newer row with waived = false; the latest row per
-- (subject, testcase, product_version, scenario) wins. scenario NULL covers every scenario.
CREATE TABLE waivers (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subject_type       text NOT NULL,
  subject_identifier text NOT NULL,
  testcase           text NOT NULL,
  username           text NOT NULL,
  proxied_by         text,
  product_version    text NOT NULL,
  waived             boolean NOT NULL,
  scenario           text,
  comment            text NOT NULL,
  timestamp          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waivers_subject ON waivers (subject_identifier, subject_type, testcase, id);
CREATE INDEX waivers_testcase_id ON waivers (testcase, id);
CREATE INDEX waivers_timestamp ON waivers (timestamp);

CREATE FUNCTION waivers_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'waivers is append-only: % is not allowed (revoke by posting waived: false)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER waivers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON waivers
  FOR EACH STATEMENT EXECUTE FUNCTION waivers_append_only();

-- Permissions -------------------------------------------------------------------------------------

-- Who may post results (action 'result') or waivers (action 'waive') for testcases matching a glob:
-- listed user names, or any token carrying one of the listed scopes. With no row for an action,
-- the route's own scope suffices (ci for results, maintainer for waivers).
CREATE TABLE gating_permissions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action        text NOT NULL CHECK (action IN ('result', 'waive')),
  testcase_glob text NOT NULL CHECK (testcase_glob <> ''),
  users         text[] NOT NULL DEFAULT '{}',
  scopes        text[] NOT NULL DEFAULT '{}' CHECK (scopes <@ ARRAY['admin', 'maintainer', 'ci']),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gating_permissions_action ON gating_permissions (action);
