-- 0009_results_permissions: gating permissions granted to single API tokens, and who granted each
-- (the admin permissions API, src/gating/permissions.ts). A row now allows the listed users, the
-- listed token ids, or any token carrying one of the listed scopes.

ALTER TABLE gating_permissions ADD COLUMN token_ids bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE gating_permissions ADD COLUMN granted_by text;
ALTER TABLE gating_permissions ADD COLUMN comment text NOT NULL DEFAULT '';
-- A grant that names nobody would look like a grant and allow nothing.
ALTER TABLE gating_permissions ADD CONSTRAINT gating_permissions_grantee
  CHECK (cardinality(users) + cardinality(scopes) + cardinality(token_ids) > 0);
