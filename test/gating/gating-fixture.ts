/**
 * The app over a fresh database, with an admin, two maintainers, a CI token and a policies directory of our own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createApp, type RippleApp } from '../../src/http/app.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import type { DatabaseBackend, TestDatabase } from '../helpers/database.ts';
import { jsonCaller, type JsonCall } from '../helpers/http.ts';

/** Fedora-like policies: what Bodhi's gating contexts look like in Fedora's Greenwave. */
export const fedoraPolicies = `
--- !Policy
id: fedora-builds-testing
product_versions: [fedora-*]
decision_contexts: [bodhi_update_push_testing]
subject_type: koji_build
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
--- !Policy
id: fedora-builds-stable
product_versions: [fedora-*]
decision_contexts: [bodhi_update_push_stable]
subject_type: koji_build
excluded_packages: [kernel*]
rules:
  - !PassingTestCaseRule {test_case_name: fedora-ci.koji-build.tier0.functional}
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
--- !Policy
id: openqa-update
product_versions: [fedora-40]
decision_contexts: [bodhi_update_push_stable]
subject_type: bodhi_update
rules:
  - !PassingTestCaseRule {test_case_name: update.install_default_update_netinst, scenario: fedora.updates-everything-boot-iso.x86_64.64bit}
--- !Policy
id: remote
product_versions: [fedora-*]
decision_contexts: [remote_context]
subject_type: koji_build
rules:
  - !RemoteRule {required: true}
`;

export interface GatingFixture {
  database: TestDatabase;
  app: RippleApp;
  policiesDir: string;
  tokens: { admin: string; alice: string; bob: string; ci: string };
  call: JsonCall;
}

export async function openGatingFixture(backend: DatabaseBackend, policies = fedoraPolicies): Promise<GatingFixture> {
  const database = await backend.open();
  const policiesDir = mkdtempSync(join(tmpdir(), 'ripple-policies-'));
  writeFileSync(join(policiesDir, 'fedora.yaml'), policies);
  const config = loadConfig({ RIPPLE_POLICIES_DIR: policiesDir });
  const app = createApp({ db: database.db, config });
  const admin = await createUser(database.db, { name: 'root', isAdmin: true });
  const alice = await createUser(database.db, { name: 'alice' });
  const bob = await createUser(database.db, { name: 'bob' });
  const robot = await createUser(database.db, { name: 'robot' });
  const tokens = {
    admin: (await createToken(database.db, admin, ['admin'])).token,
    alice: (await createToken(database.db, alice, ['maintainer'])).token,
    bob: (await createToken(database.db, bob, ['maintainer'])).token,
    ci: (await createToken(database.db, robot, ['ci'])).token,
  };
  return {
    database, app, policiesDir, tokens,
    call: jsonCaller(app),
  };
}
