/**
 * Real service instances for the notification tests (an app, an http server with the `/ws` feed
 * and a hub over one Database) and a recording `ws` client.
 */
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config.ts';
import { withTransaction, type Database } from '../../src/db/database.ts';
import { EventHub } from '../../src/events/event-hub.ts';
import { appendEvents, type Event, type NewEvent } from '../../src/events/event-log.ts';
import { attachEventSocket, type EventSocketOptions, type EventSocketServer } from '../../src/events/websocket-server.ts';
import { createApp } from '../../src/http/app.ts';
import { startServer } from '../../src/http/server.ts';

export interface Instance {
  /** ws://127.0.0.1:port/ws */
  wsUrl: string;
  httpUrl: string;
  hub: EventHub;
  sockets: EventSocketServer;
  close(): Promise<void>;
}

export async function startInstance(database: Database, options: Partial<Pick<EventSocketOptions, 'heartbeatMs' | 'maxBufferedEvents' | 'replayPageSize'>> & { pollMs?: number; bufferSize?: number } = {}): Promise<Instance> {
  const hub = new EventHub(database, { pollMs: options.pollMs ?? 200, bufferSize: options.bufferSize });
  await hub.start();
  let sockets: EventSocketServer | undefined;
  const server = await startServer({
    app: createApp({ db: database.db, config: loadConfig({}) }),
    config: { httpHost: '127.0.0.1', httpPort: 0 },
    onServer: (s) => {
      sockets = attachEventSocket(s, { db: database.db, hub, heartbeatMs: options.heartbeatMs ?? 30_000, maxBufferedEvents: options.maxBufferedEvents ?? 1000, replayPageSize: options.replayPageSize });
    },
  });
  return {
    wsUrl: `${server.url.replace(/^http/, 'ws')}/ws`,
    httpUrl: server.url,
    hub,
    sockets: sockets!,
    async close() {
      await sockets!.close();
      await server.close();
      await hub.stop();
    },
  };
}

/** Appends `events` in one transaction, as the service's writers do. */
export const emit = (database: Database, events: NewEvent[]): Promise<Event[]> =>
  withTransaction(database.db, (trx) => appendEvents(trx, events));

export const stateChange = (collection: string, name: string, extra: Record<string, unknown> = {}): NewEvent => ({
  type: 'package.state.change', packageName: name,
  payload: { collection, collection_id: 1, collection_name: collection, name, old: 'ok', new: 'unresolved', groups: [], reason: null, ...extra },
});

export interface Client {
  ws: WebSocket;
  messages: any[];
  /** Event ids received by subscription `id`, in arrival order. */
  ids(subscription: string): number[];
  send(message: unknown): void;
  /** Resolves with the first message from index `from` on (already received or future) that satisfies `predicate`. */
  waitFor(predicate: (m: any) => boolean, timeoutMs?: number, from?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export async function connect(url: string, token?: string): Promise<Client> {
  const ws = new WebSocket(token ? `${url}?token=${encodeURIComponent(token)}` : url);
  const messages: any[] = [];
  const waiters: { predicate: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    messages.push(message);
    for (const w of [...waiters]) if (w.predicate(message)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    ids: (subscription) => messages.filter((m) => m.op === 'event' && m.subscription === subscription).map((m) => m.event.id),
    send: (message) => ws.send(JSON.stringify(message)),
    waitFor(predicate, timeoutMs = 10_000, from = 0) {
      const found = messages.slice(from).find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; last: ${JSON.stringify(messages.slice(-5).map((m) => (m.op === 'event' ? { op: m.op, subscription: m.subscription, id: m.event.id } : m)))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/** Subscribes and waits for the acknowledgement (or an error for that subscription). */
export async function subscribe(client: Client, id: string, filter: Record<string, unknown> = {}, resumeFrom?: number): Promise<any> {
  const from = client.messages.length;
  client.send({ op: 'subscribe', id, filter, ...(resumeFrom === undefined ? {} : { resume_from: resumeFrom }) });
  return client.waitFor((m) => (m.op === 'subscribed' && m.id === id) || (m.op === 'error' && m.subscription === id), 10_000, from);
}

export const eventWith = (subscription: string, id: number) => (m: any) => m.op === 'event' && m.subscription === subscription && m.event.id === id;
