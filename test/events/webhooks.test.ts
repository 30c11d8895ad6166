/**
 * Subscriptions over the API and webhook delivery to a real receiver (an http server on
 * 127.0.0.1): signed JSON, retries with backoff, the delivery log, permanent failure, deliveries
 * created for events written while no worker ran, and two workers never sending one twice.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGroup } from '../../src/collections/service.ts';
import { loadConfig } from '../../src/config.ts';
import { WebhookWorker, type WebhookWorkerOptions } from '../../src/events/webhooks.ts';
import { createApp, type RippleApp } from '../../src/http/app.ts';
import { createToken, createUser } from '../../src/users/service.ts';
import { databaseBackends, type TestDatabase } from '../helpers/database.ts';
import { emit, stateChange } from './event-fixture.ts';

interface Received { eventId: number; signature: string; body: string; status: number; at: number }

/** A webhook receiver answering 500 to the first `failures` POSTs of each event, then 200. */
async function startReceiver(failures: number): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const eventId = Number(request.headers['x-ripple-event-id']);
      const status = received.filter((r) => r.eventId === eventId).length < failures ? 500 : 200;
      received.push({ eventId, signature: String(request.headers['x-ripple-signature']), body: Buffer.concat(chunks).toString(), status, at: Date.now() });
      response.writeHead(status).end(status === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const workerOptions: WebhookWorkerOptions = { maxAttempts: 3, backoffMs: 60, timeoutMs: 2000, pollMs: 25 };
const secret = 'a-secret-of-sixteen-or-more';

for (const backend of databaseBackends()) {
  const it = suite(`subscriptions and webhooks (${backend.name})`);
  let database: TestDatabase;
  let app: RippleApp;
  let tokens: { alice: string; bob: string };
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: await response.json() as any };
  };

  it.before(async () => {
    database = await backend.open();
    app = createApp({ db: database.db, config: loadConfig({}) });
    const alice = await createUser(database.db, { name: 'alice' });
    const bob = await createUser(database.db, { name: 'bob' });
    tokens = { alice: (await createToken(database.db, alice, ['maintainer'])).token, bob: (await createToken(database.db, bob, ['maintainer'])).token };
    await createGroup(database.db, null, { namespace: 'global', name: 'g1', packages: ['p1'] });
  });
  it.after(() => database.close());

  it('subscription routes: create, list, validation, ownership', async () => {
    const created = await call('POST', '/api/subscriptions', tokens.alice, { package: 'solo', types: ['package.state.change'] });
    assert.is(created.status, 201, JSON.stringify(created.json));
    assert.equal([created.json.user, created.json.package, created.json.group, created.json.webhook], ['alice', 'solo', null, null]);
    assert.is((await call('POST', '/api/subscriptions', tokens.alice, { package: 'solo' })).status, 409);
    const both = await call('POST', '/api/subscriptions', tokens.alice, { package: 'x', group: 'g1' });
    assert.equal([both.status, both.json.details.field], [400, 'group']);
    const badUrl = await call('POST', '/api/subscriptions', tokens.alice, { package: 'x', webhook: { url: 'ftp://host/x', secret } });
    assert.equal([badUrl.status, badUrl.json.details.field], [400, 'webhook.url']);
    const shortSecret = await call('POST', '/api/subscriptions', tokens.alice, { package: 'x', webhook: { url: 'http://127.0.0.1:1/x', secret: 'short' } });
    assert.equal([shortSecret.status, shortSecret.json.details.field], [400, 'webhook.secret']);
    assert.is((await call('POST', '/api/subscriptions', tokens.alice, { group: 'nobody/none' })).status, 404);
    assert.is((await call('GET', '/api/subscriptions')).status, 401);
    assert.is((await call('GET', `/api/subscriptions/${created.json.id}`, tokens.bob)).status, 404, "bob does not see alice's subscription");
    assert.is((await call('DELETE', `/api/subscriptions/${created.json.id}`, tokens.bob)).status, 404);
    assert.equal((await call('GET', '/api/subscriptions', tokens.alice)).json.map((s: any) => s.package), ['solo']);
    assert.is((await call('DELETE', `/api/subscriptions/${created.json.id}`, tokens.alice)).status, 200);
    assert.equal((await call('GET', '/api/subscriptions', tokens.alice)).json, []);
    const paths = Object.keys((await call('GET', '/openapi.json')).json.paths);
    assert.ok(paths.includes('/api/subscriptions/{id}/deliveries'), paths.join(' '));
  });

  it('a receiver that fails twice gets the signed delivery on the third attempt; the delivery log shows all three', async () => {
    const receiver = await startReceiver(2);
    const worker = new WebhookWorker(database.db, workerOptions);
    try {
      const sub = await call('POST', '/api/subscriptions', tokens.alice, { group: 'global/g1', types: ['package.*'], webhook: { url: receiver.url, secret } });
      assert.is(sub.status, 201, JSON.stringify(sub.json));
      assert.equal(sub.json.webhook, { url: receiver.url }, 'the secret is never shown');
      worker.start();
      const [wanted] = await emit(database, [stateChange('c1', 'p1'), stateChange('c1', 'p2'), { type: 'collection.change', payload: { action: 'updated', collection: 'c1' } }]);
      await until(() => receiver.received.some((r) => r.status === 200), 'a successful delivery');
      assert.equal(receiver.received.map((r) => [r.eventId, r.status]), [[wanted!.id, 500], [wanted!.id, 500], [wanted!.id, 200]]);
      for (const r of receiver.received) {
        assert.is(r.signature, `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
        const body = JSON.parse(r.body);
        assert.equal([body.id, body.type, body.package, body.collection], [wanted!.id, 'package.state.change', 'p1', 'c1']);
      }
      const [a1, a2, a3] = receiver.received.map((r) => r.at);
      assert.ok(a2! - a1! >= 60 && a3! - a2! >= 120, `backoff doubles: ${a2! - a1!} ms, then ${a3! - a2!} ms`);
      await until(async () => (await call('GET', `/api/subscriptions/${sub.json.id}/deliveries`, tokens.alice)).json[0]?.status === 'delivered', 'the delivery to be recorded');
      const log = (await call('GET', `/api/subscriptions/${sub.json.id}/deliveries`, tokens.alice)).json;
      assert.is(log.length, 1);
      assert.equal([log[0].eventId, log[0].eventType, log[0].status, log[0].attempts, log[0].responseCode, log[0].error], [wanted!.id, 'package.state.change', 'delivered', 3, 200, null]);
      assert.equal(log[0].history.map((h: any) => [h.response_code, h.error]), [[500, 'receiver answered HTTP 500'], [500, 'receiver answered HTTP 500'], [200, null]]);
      assert.is((await call('GET', `/api/subscriptions/${sub.json.id}/deliveries`, tokens.bob)).status, 404);

      // Events written while no worker runs are delivered by the next one (the follower's cursor is persisted).
      await worker.stop();
      const [missed] = await emit(database, [stateChange('c2', 'p1')]);
      const next = new WebhookWorker(database.db, workerOptions);
      next.start();
      await until(() => receiver.received.some((r) => r.eventId === missed!.id && r.status === 200), 'the event written while stopped');
      await next.stop();
    } finally {
      await worker.stop();
      await receiver.close();
    }
  });

  it('an unreachable receiver: the delivery fails after the maximum of attempts, with the error', async () => {
    const unreachable = await startReceiver(0);
    await unreachable.close();
    const sub = await call('POST', '/api/subscriptions', tokens.bob, { package: 'doomed', webhook: { url: unreachable.url, secret } });
    const worker = new WebhookWorker(database.db, workerOptions);
    worker.start();
    try {
      await emit(database, [stateChange('c1', 'doomed')]);
      await until(async () => (await call('GET', `/api/subscriptions/${sub.json.id}/deliveries?status=failed`, tokens.bob)).json.length === 1, 'the delivery to fail');
      const [delivery] = (await call('GET', `/api/subscriptions/${sub.json.id}/deliveries`, tokens.bob)).json;
      assert.equal([delivery.status, delivery.attempts, delivery.responseCode, delivery.nextAttemptAt], ['failed', 3, null, null]);
      assert.match(delivery.error, /ECONNREFUSED/);
    } finally {
      await worker.stop();
    }
  });

  it('two workers share the work: every delivery is sent exactly once', async () => {
    const receiver = await startReceiver(0);
    const workers = [new WebhookWorker(database.db, { ...workerOptions, batchSize: 3 }), new WebhookWorker(database.db, { ...workerOptions, batchSize: 3 })];
    try {
      await call('POST', '/api/subscriptions', tokens.bob, { package: 'busy', webhook: { url: receiver.url, secret } });
      for (const w of workers) w.start();
      const written = await emit(database, Array.from({ length: 30 }, () => stateChange('c1', 'busy')));
      await until(() => receiver.received.length >= written.length, 'all deliveries');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(receiver.received.map((r) => r.eventId).sort((a, b) => a - b), written.map((e) => e.id));
    } finally {
      for (const w of workers) await w.stop();
      await receiver.close();
    }
  });

  it.run();
}
