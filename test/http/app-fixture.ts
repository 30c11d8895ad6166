/**
 * A migrated database, the app over it, and three callers: an admin, a maintainer ('alice') and a
 * CI-only token. Shared by the HTTP, collection and user tests.
 */
import { loadConfig } from '../../src/config.ts';
import { createApp, type RippleApp } from '../../src/http/app.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import type { DatabaseBackend, TestDatabase } from '../helpers/database.ts';
import { jsonCaller, type JsonCall } from '../helpers/http.ts';

export interface AppFixture {
  database: TestDatabase;
  app: RippleApp;
  tokens: { admin: string; alice: string; bob: string; ci: string };
  call: JsonCall;
}

export async function openAppFixture(backend: DatabaseBackend): Promise<AppFixture> {
  const database = await backend.open();
  const app = createApp({ db: database.db, config: loadConfig({}) });
  const admin = await createUser(database.db, { name: 'root', isAdmin: true });
  const alice = await createUser(database.db, { name: 'alice', email: 'alice@example.org' });
  const bob = await createUser(database.db, { name: 'bob' });
  const tokens = {
    admin: (await createToken(database.db, admin, ['admin'], 'test admin')).token,
    alice: (await createToken(database.db, alice, ['maintainer'], 'alice')).token,
    bob: (await createToken(database.db, bob, ['maintainer'], 'bob')).token,
    ci: (await createToken(database.db, alice, ['ci'], 'ci only')).token,
  };
  return {
    database,
    app,
    tokens,
    call: jsonCaller(app),
  };
}

export const rpmCollection = (name: string) => ({
  name,
  format: 'rpm-md',
  sources: [{ url: '../shared/data/rpm-md/base' }, { url: 'file:///srv/updates' }],
  architectures: ['x86_64'],
  baseBuildroot: { group: 'build' },
});
