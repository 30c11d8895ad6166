import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { createApp } from '../../src/http/app.ts';
import { openApiPath } from '../../src/http/openapi.ts';
import { startServer } from '../../src/http/server.ts';
import { databaseBackends } from '../helpers/database.ts';
import { openAppFixture, rpmCollection, type AppFixture } from './app-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`http app (${backend.name})`);
  let f: AppFixture;
  it.before(async () => { f = await openAppFixture(backend); });
  it.after(() => f.database.close());

  it('unknown routes and methods are 404 JSON; malformed JSON names the body', async () => {
    const missing = await f.call('GET', '/api/nothing/here');
    assert.is(missing.status, 404);
    assert.equal([missing.json.code, missing.json.details.path], ['not_found', '/api/nothing/here']);
    assert.is((await f.call('PUT', '/api/collections')).status, 404);
    for (const rawBody of ['{"name":', '', '[1,2]', 'null']) {
      const response = await f.call('POST', '/api/collections', { token: f.tokens.admin, rawBody });
      assert.is(response.status, 400, rawBody);
      assert.is(response.json.details.field, 'body');
    }
    const unauthorized = await f.app.request('/api/collections', { method: 'POST' });
    assert.is(unauthorized.headers.get('www-authenticate'), 'Bearer realm="ripple"');
    assert.is((await f.call('GET', '/api/me', { token: f.tokens.alice.replace('rpl_', 'Basic ') })).status, 401);
  });

  it('the OpenAPI document lists every registered route, once, with its scope', async () => {
    const document = (await f.call('GET', '/openapi.json')).json;
    assert.is(document.openapi, '3.1.0');
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const registered = [...new Set(f.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`))].sort();
    assert.equal(documented, registered);
    for (const route of ['GET /api/packages', 'POST /api/collections', 'GET /api/v1/collections/diff/{c1}/{c2}', 'DELETE /api/groups/{ns}/{name}/members', 'GET /healthz', 'GET /metrics']) {
      assert.ok(documented.includes(route), route);
    }
    assert.equal(document.paths['/api/collections'].post.security, [{ bearer: ['admin'] }]);
    assert.equal(document.paths['/api/collections/{name}'].get.parameters.map((p: any) => [p.name, p.in]), [['name', 'path']]);
  });

  it('healthz answers ok; metrics are valid Prometheus text with domain and HTTP series', async () => {
    assert.equal((await f.call('GET', '/healthz')).json, { status: 'ok', database: 'ok' });
    await f.call('POST', '/api/collections', { token: f.tokens.admin, body: rpmCollection('f40') });
    await f.call('POST', '/api/collections/f40/packages', { token: f.tokens.alice, body: { packages: ['bash', 'gcc'] } });
    await f.call('GET', '/api/collections/f40');
    await f.call('GET', '/api/nothing');
    const response = await f.app.request('/metrics');
    assert.match(response.headers.get('content-type') ?? '', 'text/plain; version=0.0.4');
    const text = await response.text();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+-]+$/;
    const typed = new Set<string>();
    for (const line of text.trimEnd().split('\n')) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
      if (type) typed.add(type[1]!);
      else if (!line.startsWith('# HELP ')) {
        assert.match(line, sample);
        assert.ok(typed.has(line.replace(/(_bucket|_sum|_count)?[{ ].*$/, '')), `untyped sample ${line}`);
      }
    }
    assert.match(text, 'ripple_packages{collection="f40",state="unknown"} 2');
    assert.match(text, /ripple_latest_event_id [1-9]\d*/);
    assert.match(text, 'ripple_http_requests_total{method="GET",route="/api/collections/:name",status="200"} 1');
    assert.match(text, /ripple_http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
    assert.match(text, /ripple_http_request_duration_seconds_bucket\{method="POST",route="\/api\/collections",le="\+Inf"\} [1-9]\d*/);
  });

  it('healthz is 503 when the database is gone', async () => {
    const database = await backend.open();
    const app = createApp({ db: database.db, config: loadConfig({}) });
    await database.close();
    const response = await app.request('/healthz');
    assert.is(response.status, 503);
    assert.equal(await response.json(), { status: 'unavailable', database: 'unavailable' });
  });

  it('startServer serves the app over HTTP on a free port and exposes the server for websockets', async () => {
    let attached = false;
    const running = await startServer({ app: f.app, config: { httpHost: '127.0.0.1', httpPort: 0 }, onServer: () => { attached = true; } });
    try {
      assert.ok(attached);
      const response = await fetch(`${running.url}/api/collections`);
      assert.is(response.status, 200);
      assert.equal(((await response.json()) as { name: string }[]).map((c) => c.name), ['f40']);
    } finally {
      await running.close();
    }
  });

  it.run();
}
