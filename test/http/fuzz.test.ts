/**
 * Thousands of generated malformed requests (random paths under /api, query strings, JSON and
 * non-JSON bodies, with and without tokens) against a database holding real rows: never a 500.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addPackages, createGroup } from '../../src/collections/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, rpmCollection, type AppFixture } from './app-fixture.ts';
import { seededRandom } from '../helpers/random.ts';


for (const backend of databaseBackends()) {
  const it = suite(`fuzz (${backend.name})`);
  let f: AppFixture;
  it.before(async () => {
    f = await openAppFixture(backend);
    await f.call('POST', '/api/collections', { token: f.tokens.admin, body: rpmCollection('f40') });
    await addPackages(f.database.db, 'f40', ['bash', 'gcc', 'perl-Foo']);
    await createGroup(f.database.db, null, { namespace: 'alice', name: 'tools', packages: ['gcc'] });
  });
  it.after(() => f.database.close());

  it('no generated request gets a 500', async () => {
    const next = seededRandom(backend.name === 'pglite' ? 1 : 2);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const segments = ['collections', 'packages', 'groups', 'tokens', 'me', 'users', 'v1', 'diff', 'f40', 'alice', 'tools', 'global', 'bash', 'gcc',
      'affected-by', 'reverse-dependencies', 'regenerate', 'members', '%', '%E0%A4%A', '..', '*', '', '0', '-1', '99999999999999999999', 'x'.repeat(300), '%00', 'é', ' '];
    const queryNames = ['collection', 'state', 'group', 'name', 'resolved', 'sort', 'page', 'limit', 'from', 'to', 'namespace', 'package', 'x'];
    const queryValues = ['', 'ok', 'bogus', '-1', '0', '1', '1e9', '99999999999', 'true', 'maybe', '*', 'a*b', '%25', 'alice/tools', 'a/b/c', '%00', "'; drop table packages; --", 'x'.repeat(500), '1.2-3', ':::'];
    const values = (): unknown => pick([null, true, 1, -1, 1.5, 1e308, '', 'x', 'x'.repeat(5000), [], [1], ['a', 'b'], {}, { url: 'ftp://x' }, { url: 'file:///ok' }, '2025-01-01', 'not a date', 'rpm-md', 'debian', 'admin', ['admin'], ['nope']]);
    const keys = ['name', 'format', 'sources', 'architectures', 'baseBuildroot', 'resolverOptions', 'priorityCoefficient', 'pollIntervalSeconds', 'paused', 'packages',
      'tracked', 'blocked', 'archOverride', 'manualPriority', 'snoozeUntil', 'scopes', 'user', 'expiresAt', 'description', 'maintainers', 'namespace', 'displayName', 'bogus'];
    const bodies = (): string | undefined => pick([
      undefined, '', '{', 'null', '[]', '"text"', '42', '{"a":', '\u0000', 'x'.repeat(1000),
      JSON.stringify(Object.fromEntries(Array.from({ length: 1 + Math.floor(next() * 4) }, () => [pick(keys), values()]))),
      JSON.stringify({ ...rpmCollection(pick(['f41', 'F41', 'f40', ''])), [pick(keys)]: values() }),
    ]);
    const methods = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'];
    const failures: string[] = [];
    const count = 2500;
    const statuses = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      // Half follow a declared route with random parameters, so the handlers themselves get exercised.
      const path = next() < 0.5
        ? pick(f.app.routeDeclarations).path.replace(/:[a-z0-9]+/gi, () => (next() < 0.5 ? pick(['f40', 'alice', 'tools', 'gcc', 'global', '1']) : pick(segments)))
        : '/api/' + Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(segments)).join('/');
      const query = Array.from({ length: Math.floor(next() * 4) }, () => `${pick(queryNames)}=${pick(queryValues)}`).join('&');
      const method = pick(methods);
      const token = pick([undefined, f.tokens.admin, f.tokens.alice, f.tokens.ci, 'rpl_bogus', 'garbage']);
      const rawBody = method === 'GET' ? undefined : bodies();
      const url = query ? `${path}?${query}` : path;
      const response = await f.call(method, url, { token, rawBody });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) failures.push(`${method} ${url} ${rawBody?.slice(0, 200)} -> ${response.status} ${response.text.slice(0, 200)}`);
      // Not JSON by design: metrics, state badges, and the web UI's page shell (/api/.. is /).
      else if (response.json === undefined && !/^\/(metrics|badge\/)/.test(path) && !response.text.startsWith('<!doctype html>')) failures.push(`${method} ${url} -> non-JSON ${response.status}`);
    }
    assert.equal(failures.slice(0, 10), [], `${failures.length} of ${count} requests failed`);
    // The generator must reach the handlers, not only the router's 404 and the auth check.
    for (const status of [200, 400, 401, 403, 404]) assert.ok((statuses.get(status) ?? 0) > 20, `few ${status}s: ${JSON.stringify([...statuses])}`);
  });

  it.run();
}
