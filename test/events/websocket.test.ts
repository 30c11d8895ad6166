/**
 * The `/ws` event feed with real `ws` clients against a started server: filters, resume with no
 * gap and no duplicate, retention, slow clients, heartbeats and authentication; and, on real
 * PostgreSQL, two service instances on one database fanning out to each other's clients.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { addGroupMembers, createGroup } from '../../src/collections/service.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { latestEventId, pruneEvents } from '../../src/events/event-log.ts';
import { createSubscription } from '../../src/events/subscriptions.ts';
import { SLOW_CONSUMER_CLOSE } from '../../src/events/websocket-server.ts';
import { authenticate, createToken, createUser } from '../../src/users/service.ts';
import { databaseBackends, postgresBackend, type TestDatabase } from '../helpers/database.ts';
import { connect, emit, eventWith, startInstance, stateChange, subscribe, type Instance } from './event-fixture.ts';

for (const backend of databaseBackends()) {
  const it = suite(`websocket feed (${backend.name})`);
  let database: Database;
  let instance: Instance;
  let aliceToken: string;

  it.before(async () => {
    database = await backend.open();
    instance = await startInstance(database, { replayPageSize: 3, heartbeatMs: 150 });
    const alice = await createUser(database.db, { name: 'alice' });
    aliceToken = (await createToken(database.db, alice, ['maintainer'])).token;
    await createGroup(database.db, null, { namespace: 'global', name: 'g1', packages: ['p1', 'p2'] });
    await createGroup(database.db, null, { namespace: 'alice', name: 'mine', packages: ['p3'] });
    await createSubscription(database.db, (await authenticate(database.db, aliceToken))!, { package: 'p4' });
  });
  it.after(async () => {
    await instance.close();
    await database.close();
  });

  it('filters: each subscription receives exactly the matching events, and group changes apply at once', async () => {
    const client = await connect(instance.wsUrl, aliceToken);
    const filters: Record<string, Record<string, unknown>> = {
      all: {}, pkgs: { types: ['package.*'] }, c1: { collection: 'c1' }, p1: { package: 'p1' }, g1: { group: 'global/g1' },
      g1c2: { group: 'g1', collection: 'c2' }, mine: { mine: true }, exact: { types: ['collection.change'] },
    };
    for (const [id, filter] of Object.entries(filters)) assert.is((await subscribe(client, id, filter)).op, 'subscribed', id);
    const [e1, e2, e3, e4, e5, e6] = await emit(database, [
      stateChange('c1', 'p1'),
      stateChange('c2', 'p2'),
      { type: 'package.buildability.change', packageName: 'p3', payload: { collection: 'c1', name: 'p3', resolved: false } },
      { type: 'collection.change', payload: { action: 'updated', collection: 'c1' } },
      stateChange('c2', 'p4'),
      { type: 'result.new', packageName: 'p9', payload: { id: 1 } },
    ]);
    await addGroupMembers(database.db, null, { namespace: null, name: 'g1' }, ['p5']);
    const [e8] = await emit(database, [stateChange('c2', 'p5')]);
    // Subscriptions by group catch up from the log after reloading their members, so they may trail 'all' a little.
    for (const id of ['all', 'g1', 'g1c2']) await client.waitFor(eventWith(id, e8!.id));
    const ids = (...events: { id: number }[]) => events.map((e) => e.id);
    const groupChange = e8!.id - 1;
    assert.equal(client.ids('all'), [...ids(e1!, e2!, e3!, e4!, e5!, e6!), groupChange, e8!.id]);
    assert.equal(client.ids('pkgs'), ids(e1!, e2!, e3!, e5!, e8!));
    assert.equal(client.ids('c1'), ids(e1!, e3!, e4!));
    assert.equal(client.ids('p1'), ids(e1!));
    assert.equal(client.ids('g1'), ids(e1!, e2!, e8!), 'p5 joined g1 before its event');
    assert.equal(client.ids('g1c2'), ids(e2!, e8!));
    assert.equal(client.ids('mine'), ids(e3!, e5!), "alice's namespace group and her package subscription");
    assert.equal(client.ids('exact'), ids(e4!));
    const message = client.messages.find(eventWith('p1', e1!.id));
    assert.equal(Object.keys(message.event).sort(), ['collection', 'collection_id', 'id', 'occurred_at', 'package', 'payload', 'type', 'version']);
    assert.equal([message.event.collection, message.event.package, message.event.type, message.event.version], ['c1', 'p1', 'package.state.change', 1]);
    client.send({ op: 'unsubscribe', id: 'p1' });
    await client.waitFor((m) => m.op === 'unsubscribed' && m.id === 'p1');
    const [e9] = await emit(database, [stateChange('c1', 'p1')]);
    await client.waitFor(eventWith('all', e9!.id));
    assert.equal(client.ids('p1'), ids(e1!));
    await client.close();
  });

  it('resume: a client that was away receives what it missed in order, then live, with no gap and no duplicate', async () => {
    let client = await connect(instance.wsUrl);
    await subscribe(client, 's', { types: ['package.*'] });
    const first = await emit(database, [stateChange('c1', 'a'), stateChange('c1', 'b')]);
    await client.waitFor(eventWith('s', first[1]!.id));
    const lastSeen = client.ids('s').at(-1)!;
    await client.close();

    const missed = await emit(database, Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? { type: 'collection.change', payload: { action: 'updated', collection: 'c1' } } : stateChange('c1', `m${i}`))));
    client = await connect(instance.wsUrl);
    // Events keep arriving while the replay (3 per page) runs: the switch-over to live happens under load.
    const concurrent = (async () => {
      const written = [];
      for (let i = 0; i < 10; i++) written.push(...(await emit(database, [stateChange('c1', `live${i}`)])));
      return written;
    })();
    const ack = await subscribe(client, 's', { types: ['package.*'] }, lastSeen);
    assert.is(ack.cursor, lastSeen);
    const live = await concurrent;
    await client.waitFor(eventWith('s', live.at(-1)!.id));
    const expected = [...missed, ...live].filter((e) => e.type.startsWith('package.')).map((e) => e.id);
    assert.equal(client.ids('s'), expected);
    await client.close();
  });

  it('resuming from before the retention mark is refused explicitly', async () => {
    const before = await latestEventId(database.db);
    await emit(database, [stateChange('c1', 'old')]);
    const removed = await pruneEvents(database.db, new Date(Date.now() + 60_000));
    assert.ok(removed > 0);
    const prunedThrough = await latestEventId(database.db);
    // Replays from the hub's buffer check the retention mark the hub read at its last poll (200 ms here).
    await new Promise((resolve) => setTimeout(resolve, 450));
    const client = await connect(instance.wsUrl);
    const refusal = await subscribe(client, 'old', {}, before);
    assert.equal([refusal.op, refusal.code, refusal.pruned_through], ['error', 'resume_too_old', prunedThrough]);
    assert.ok((await subscribe(client, 'fresh', {}, prunedThrough)).op === 'subscribed', 'resuming at the mark itself loses nothing');
    const [e] = await emit(database, [stateChange('c1', 'new')]);
    await client.waitFor(eventWith('fresh', e!.id));
    assert.equal(client.ids('old'), []);
    await client.close();
  });

  it('heartbeats, authentication and protocol errors', async () => {
    const client = await connect(instance.wsUrl);
    const beat = await client.waitFor((m) => m.op === 'heartbeat');
    assert.is(beat.latest_id, instance.hub.lastSeenId);
    const mine = await subscribe(client, 'm', { mine: true });
    assert.equal([mine.op, mine.code], ['error', 'unauthorized']);
    client.send({ op: 'auth', token: aliceToken });
    await client.waitFor((m) => m.op === 'authenticated' && m.user === 'alice');
    assert.is((await subscribe(client, 'm', { mine: true })).op, 'subscribed');
    assert.is((await subscribe(client, 'm', {})).code, 'conflict');
    const unknownGroup = await subscribe(client, 'g', { group: 'nobody/none' });
    assert.equal([unknownGroup.code, unknownGroup.message], ['not_found', "group 'nobody/none' does not exist"]);
    const badFilter = await subscribe(client, 'b', { types: ['Package'] });
    assert.equal([badFilter.code, badFilter.field], ['invalid_input', 'filter.types[0]']);
    client.ws.send('not json');
    assert.match((await client.waitFor((m) => m.op === 'error' && /not JSON/.test(m.message))).code, 'invalid_input');
    await client.close();
    const rejected = new WebSocket(`${instance.wsUrl}?token=rpl_wrong`);
    const status = await new Promise<number>((resolve) => rejected.on('unexpected-response', (_request, response) => resolve(response.statusCode!)));
    assert.is(status, 401);
    rejected.on('error', () => undefined);
    rejected.terminate();
  });

  it('a client that stops reading is closed with 4008 and an id it can resume from without a gap', async () => {
    // A small buffer: the resume below replays from the log, not from the hub's memory.
    const slow = await startInstance(database, { maxBufferedEvents: 20, bufferSize: 10 });
    try {
      const client = await connect(slow.wsUrl);
      await subscribe(client, 's', { types: ['package.*'] });
      (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
      const padding = 'x'.repeat(64 * 1024);
      const written = [];
      for (let i = 0; i < 8; i++) written.push(...(await emit(database, Array.from({ length: 50 }, (_, j) => stateChange('c1', `slow${i}-${j}`, { padding })))));
      await new Promise((resolve) => setTimeout(resolve, 300));
      (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      const { code, reason } = await client.closed;
      assert.is(code, SLOW_CONSUMER_CLOSE);
      const resumeFrom = Number(/resume_from=(\d+)/.exec(reason)?.[1]);
      const received = client.ids('s');
      assert.ok(received.length < written.length, `closed before everything was sent (${received.length} of ${written.length})`);
      assert.ok(resumeFrom >= written[0]!.id - 1 && resumeFrom <= received.at(-1)!, `resume id ${resumeFrom} is at most the last received ${received.at(-1)}`);
      assert.equal(received, written.map((e) => e.id).slice(0, received.length), 'what arrived arrived in order');
      const again = await connect(slow.wsUrl);
      await subscribe(again, 's', { types: ['package.*'] }, resumeFrom);
      await again.waitFor(eventWith('s', written.at(-1)!.id), 20_000);
      assert.equal(again.ids('s'), written.map((e) => e.id).filter((id) => id > resumeFrom));
      await again.close();
    } finally {
      await slow.close();
    }
  });

  it.run();
}

const postgres = postgresBackend();
if (postgres) {
  const it = suite('websocket feed: two instances on one PostgreSQL database');
  let database: TestDatabase;
  let other: Database;
  let instances: Instance[];

  it.before(async () => {
    database = await postgres.open();
    other = await openDatabase({ url: database.url!, migrate: false });
    // Long polls: delivery within the test's timeout proves LISTEN/NOTIFY carried it.
    instances = [await startInstance(database, { pollMs: 60_000 }), await startInstance(other, { pollMs: 60_000 })];
  });
  it.after(async () => {
    for (const instance of instances) await instance.close();
    await other.close();
    await database.close();
  });

  it("an event written through either instance reaches both instances' clients", async () => {
    const clients = [await connect(instances[0]!.wsUrl), await connect(instances[1]!.wsUrl)];
    for (const client of clients) await subscribe(client, 'all');
    const [a] = await emit(database, [stateChange('c1', 'from-a')]);
    const [b] = await emit(other, [stateChange('c1', 'from-b')]);
    for (const client of clients) {
      await client.waitFor(eventWith('all', b!.id), 5000);
      assert.equal(client.ids('all'), [a!.id, b!.id]);
    }
    for (const client of clients) await client.close();
  });

  it.run();
}
