/**
 * The results, waivers and gating routes mounted the way src/http/app.ts mounts domains, over a
 * fresh database, with an admin, two maintainers, a CI token and a policies directory of our own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { loadConfig } from '../../src/config.ts';
import { registerGatingRoutes } from '../../src/gating/routes.ts';
import { ApiRoutes, type AppEnv } from '../../src/http/api-routes.ts';
import { notFoundResponse, toErrorResponse } from '../../src/http/error-handler.ts';
import { registerResultsRoutes } from '../../src/results/routes.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { registerWaiverRoutes } from '../../src/waivers/routes.ts';
import type { DatabaseBackend, TestDatabase } from '../helpers/database.ts';

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
  app: Hono<AppEnv>;
  routes: ApiRoutes;
  policiesDir: string;
  tokens: { admin: string; alice: string; bob: string; ci: string };
  call(method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string }): Promise<{ status: number; json: any; text: string }>;
}

export async function openGatingFixture(backend: DatabaseBackend, policies = fedoraPolicies): Promise<GatingFixture> {
  const database = await backend.open();
  const policiesDir = mkdtempSync(join(tmpdir(), 'ripple-policies-'));
  writeFileSync(join(policiesDir, 'fedora.yaml'), policies);
  const config = loadConfig({ RIPPLE_POLICIES_DIR: policiesDir });
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('db', database.db);
    c.set('config', config);
    await next();
  });
  app.onError(toErrorResponse);
  app.notFound(notFoundResponse);
  const routes = new ApiRoutes(app);
  registerResultsRoutes(routes);
  registerWaiverRoutes(routes);
  registerGatingRoutes(routes);
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
    database, app, routes, policiesDir, tokens,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = {};
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      const body = options.body !== undefined ? JSON.stringify(options.body) : options.rawBody;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await app.request(`http://ripple.test${path}`, { method, headers, body });
      const text = await response.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, json, text };
    },
  };
}
