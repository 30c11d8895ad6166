/**
 * Publication of the event log to the local RabbitMQ (amqp://guest:guest@127.0.0.1:5672): topic
 * `ripple.<type>` on a topic exchange, in id order, at least once with a persisted cursor: events
 * written while the publisher is stopped or the broker is unreachable are published later.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AmqpPublisher } from '../../src/events/amqp-publisher.ts';
import { databaseBackends, type TestDatabase } from '../helpers/database.ts';
import { emit, stateChange } from './event-fixture.ts';

const brokerUrl = 'amqp://guest:guest@127.0.0.1:5672';

for (const backend of databaseBackends()) {
  const it = suite(`AMQP publisher (${backend.name})`);
  let database: TestDatabase;
  let connection: amqp.ChannelModel;
  let channel: amqp.Channel;
  const exchange = `ripple-test-${randomBytes(4).toString('hex')}`;
  const received: { key: string; id: number; body: any }[] = [];

  it.before(async () => {
    database = await backend.open();
    connection = await amqp.connect(brokerUrl);
    channel = await connection.createChannel();
    // Declared as the publisher declares it (a declaration with other arguments is refused by the broker).
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'ripple.package.#');
    await channel.consume(queue, (message) => {
      if (!message) return;
      received.push({ key: message.fields.routingKey, id: Number(message.properties.messageId), body: JSON.parse(message.content.toString()) });
    }, { noAck: true });
  });
  it.after(async () => {
    await channel.deleteExchange(exchange);
    await connection.close();
    await database.close();
  });

  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received.map((r) => r.id))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const cursor = async () => (await database.db.selectFrom('event_followers').select('last_event_id').where('name', '=', 'amqp').executeTakeFirstOrThrow()).last_event_id;

  it('publishes every event with topic ripple.<type>, in order, and resumes from its cursor', async () => {
    const publishers: AmqpPublisher[] = [];
    const start = (url: string) => {
      const publisher = new AmqpPublisher(database.db, { url, exchange, pollMs: 50 });
      publishers.push(publisher);
      publisher.start();
      return publisher;
    };
    try {
      const publisher = start(brokerUrl);
      const first = await emit(database, [stateChange('c1', 'a'), { type: 'collection.change', payload: { action: 'updated', collection: 'c1' } }, { type: 'package.buildability.change', packageName: 'a', payload: { collection: 'c1' } }]);
      await until(() => received.length === 2, 'the two package events');
      assert.equal(received.map((r) => [r.key, r.id]), [['ripple.package.state.change', first[0]!.id], ['ripple.package.buildability.change', first[2]!.id]]);
      assert.equal([received[0]!.body.id, received[0]!.body.package, received[0]!.body.collection], [first[0]!.id, 'a', 'c1']);
      await publisher.stop();
      assert.is(await cursor(), first[2]!.id);

      const whileStopped = await emit(database, [stateChange('c1', 'b')]);
      const broken = start('amqp://guest:guest@127.0.0.1:1');
      await broken.tick();
      await broken.stop();
      assert.is(await cursor(), first[2]!.id, 'an unreachable broker does not move the cursor');

      const again = start(brokerUrl);
      await until(() => received.length === 3, 'the event written while stopped');
      assert.is(received[2]!.id, whileStopped[0]!.id);
      await again.stop();
      assert.is(await cursor(), whileStopped[0]!.id);
    } finally {
      for (const p of publishers) await p.stop();
    }
  });

  it.run();
}
