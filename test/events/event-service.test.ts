/**
 * The notification stack as `ripple serve` starts it (startEventService + attach on the API's
 * server): a websocket client and a webhook receiver both get an event written by the service.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { startEventService } from '../../src/events/event-service.ts';
import { createSubscription } from '../../src/events/subscriptions.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';
import { authenticate, createToken, createUser } from '../../src/users/service.ts';
import { databaseBackends } from '../helpers/database.ts';
import { connect, emit, eventWith, stateChange, subscribe } from './event-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`event service (${backend.name})`);

  it('websocket feed and webhooks from one startEventService', async () => {
    const database = await backend.open();
    const bodies: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => { body += c.toString(); });
      request.on('end', () => {
        bodies.push(body);
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const config = loadConfig({ RIPPLE_HTTP_PORT: '0', RIPPLE_EVENT_POLL_MS: '50', RIPPLE_WS_HEARTBEAT_SECONDS: '5' });
    const events = await startEventService(database, config);
    const server = await startServer({ app: createApp({ db: database.db, config }), config, onServer: (s) => events.attach(s) });
    try {
      const user = await createUser(database.db, { name: 'alice' });
      const auth = (await authenticate(database.db, (await createToken(database.db, user, ['maintainer'])).token))!;
      await createSubscription(database.db, auth, { package: 'p1', webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 'sixteen-characters' } });
      const client = await connect(`${server.url.replace(/^http/, 'ws')}/ws`);
      await subscribe(client, 's', { package: 'p1' });
      const [event] = await emit(database, [stateChange('c1', 'p1')]);
      await client.waitFor(eventWith('s', event!.id));
      const deadline = Date.now() + 10_000;
      while (bodies.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(bodies.map((b) => JSON.parse(b).id), [event!.id]);
      await client.close();
    } finally {
      await events.stop();
      await server.close();
      await new Promise((resolve) => receiver.close(resolve));
      await database.close();
    }
  });

  it.run();
}
