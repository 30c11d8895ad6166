/**
 * The `/ws` event feed on the API's http server. Protocol (JSON text messages, docs/events.md):
 *   client: {"op":"auth","token":"rpl_..."}        (or connect with ?token=)
 *           {"op":"subscribe","id":"s1","filter":{...},"resume_from":123}
 *           {"op":"unsubscribe","id":"s1"}
 *   server: {"op":"subscribed","id":"s1","cursor":N}  {"op":"unsubscribed","id":"s1"}
 *           {"op":"event","subscription":"s1","event":{...envelope}}
 *           {"op":"heartbeat","latest_id":N}  {"op":"error","code":...,"message":...}
 *
 * Each subscription has a cursor: every event with id <= cursor has been considered. A resuming
 * subscription replays from the log page by page and switches to the hub's live feed once its
 * cursor has caught up with the hub; live events at or below the cursor are dropped, so the
 * switch-over has neither gap nor duplicate. Memory per client is bounded: at most
 * `maxBufferedEvents` messages may be unsent (replay waits for the socket to drain; live
 * delivery closes the socket with 4008 and the id to resume from).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Db } from '../db/database.ts';
import { ErrorCode, RippleError, invalidInput } from '../errors.ts';
import { expectInteger, expectKeys, expectObject, expectString } from '../http/validation.ts';
import { log } from '../log.ts';
import { authenticate, type AuthContext } from '../users/service.ts';
import { eventEnvelope } from './event-catalogue.ts';
import { EventFilter, parseFilterSpec } from './event-filter.ts';
import type { EventHub } from './event-hub.ts';
import { readEvents, retentionLowWaterMark, type Event } from './event-log.ts';

export const WS_PATH = '/ws';
/** Close code for a client that does not read fast enough. */
export const SLOW_CONSUMER_CLOSE = 4008;
const maxSubscriptionsPerClient = 50;
const maxMessageBytes = 64 * 1024;

export interface EventSocketOptions {
  db: Db;
  hub: EventHub;
  heartbeatMs: number;
  maxBufferedEvents: number;
  /** Events per replay query. */
  replayPageSize?: number;
}

export interface EventSocketServer {
  readonly clientCount: number;
  close(): Promise<void>;
}

interface Subscription {
  id: string;
  filter: EventFilter;
  /** Every event with id <= cursor has been sent (or queued) if it matched. */
  cursor: number;
  live: boolean;
  /** Messages of this subscription queued on the socket and not yet written. */
  pending: number;
  /** Id of the last event of this subscription written to the socket. */
  flushedThrough: number;
}

class Session {
  auth: AuthContext | null;
  readonly subscriptions = new Map<string, Subscription>();
  pending = 0;
  alive = true;
  closing = false;
  #drainWaiters: (() => void)[] = [];

  constructor(readonly socket: WebSocket, auth: AuthContext | null, readonly options: EventSocketOptions) {
    this.auth = auth;
  }

  send(message: unknown): void {
    if (!this.closing) this.socket.send(JSON.stringify(message));
  }

  error(code: string, message: string, extra: Record<string, unknown> = {}): void {
    this.send({ op: 'error', code, message, ...extra });
  }

  /** Queues one event message; closes the socket when the client has fallen too far behind. */
  deliver(sub: Subscription, event: Event, envelopeJson: string): void {
    if (this.closing) return;
    this.pending++;
    sub.pending++;
    this.socket.send(`{"op":"event","subscription":${JSON.stringify(sub.id)},"event":${envelopeJson}}`, (error) => {
      this.pending--;
      sub.pending--;
      if (!error) sub.flushedThrough = event.id;
      if (this.pending <= this.options.maxBufferedEvents / 2) for (const wake of this.#drainWaiters.splice(0)) wake();
    });
    if (this.pending > this.options.maxBufferedEvents) this.closeSlow();
  }

  /** Resolves once at most half the buffer bound is in use (replay paces itself with it). */
  drained(): Promise<void> {
    if (this.pending <= this.options.maxBufferedEvents / 2 || this.closing) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** The id every subscription can resume from without a gap (the least advanced one). */
  resumeId(): number {
    let id = Infinity;
    for (const sub of this.subscriptions.values()) id = Math.min(id, sub.pending === 0 ? sub.cursor : sub.flushedThrough);
    return Number.isFinite(id) ? id : 0;
  }

  closeSlow(): void {
    const resumeFrom = this.resumeId();
    this.closing = true;
    for (const wake of this.#drainWaiters.splice(0)) wake();
    log.info('closing slow websocket client', { resumeFrom, pending: this.pending });
    this.socket.close(SLOW_CONSUMER_CLOSE, `slow consumer: resume_from=${resumeFrom}`);
  }

  /** Live delivery of a batch from the hub. */
  onEvents(events: readonly Event[]): void {
    for (const event of events) {
      for (const sub of this.subscriptions.values()) {
        if (!sub.live || event.id <= sub.cursor) continue;
        sub.cursor = event.id;
        if (sub.filter.matches(event)) this.deliver(sub, event, envelopeJson(event));
        if (sub.filter.affectsPackageSets(event)) {
          // Hold the subscription back until its package set is reloaded, then catch up from the log.
          sub.live = false;
          void sub.filter.reload().then(() => this.replay(sub)).catch((error) => {
            log.warn('reloading a websocket filter failed', { error });
            this.subscriptions.delete(sub.id);
            this.error('internal', 'reloading the subscription filter failed; subscribe again with resume_from', { subscription: sub.id, resume_from: sub.cursor });
          });
        }
      }
    }
  }

  /** Reads the log from the subscription's cursor until it has caught up with the hub, then goes live. */
  async replay(sub: Subscription): Promise<void> {
    const { hub, db } = this.options;
    const spec = sub.filter.spec;
    // group.change events are read too when they can change the package set.
    const types = spec.types?.length && (spec.group !== undefined || spec.mine) ? [...spec.types, 'group.change'] : spec.types;
    // Half the buffer bound per page, after waiting for half to drain: never more than the bound queued.
    const limit = Math.max(1, Math.min(this.options.replayPageSize ?? 500, Math.floor(this.options.maxBufferedEvents / 2)));
    const current = () => !this.closing && this.subscriptions.get(sub.id) === sub;
    while (current()) {
      if (sub.cursor >= hub.lastSeenId) {
        sub.live = true;
        return;
      }
      await this.drained();
      // Everything up to what the hub has seen is committed, so a short page proves the log holds nothing more up to it.
      const seen = hub.lastSeenId;
      const events = hub.recentAfter(sub.cursor, limit) ?? await readEvents(db, { afterId: sub.cursor, limit, types });
      for (const event of events) {
        if (!current()) return;
        sub.cursor = event.id;
        if (sub.filter.matches(event)) this.deliver(sub, event, envelopeJson(event));
        if (sub.filter.affectsPackageSets(event)) await sub.filter.reload();
      }
      if (events.length < limit) sub.cursor = Math.max(sub.cursor, seen);
    }
  }
}

/** Serialised once per event object: the hub hands the same objects to every session and replay. */
const envelopes = new WeakMap<Event, string>();
function envelopeJson(event: Event): string {
  let json = envelopes.get(event);
  if (json === undefined) {
    json = JSON.stringify(eventEnvelope(event));
    envelopes.set(event, json);
  }
  return json;
}

function tokenFromUrl(request: IncomingMessage): string | null {
  return new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${message}\n`);
}

/** Serves the event feed on `server`'s `/ws` path (other upgrade paths are refused with 404). */
export function attachEventSocket(server: Server, options: EventSocketOptions): EventSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes });
  const sessions = new Set<Session>();

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      if (new URL(request.url ?? '/', 'http://localhost').pathname !== WS_PATH) return rejectUpgrade(socket, 404, `no websocket endpoint here; use ${WS_PATH}`);
      const token = tokenFromUrl(request);
      const auth = token === null ? null : await authenticate(options.db, token);
      if (token !== null && !auth) return rejectUpgrade(socket, 401, 'the API token is unknown, revoked or expired');
      wss.handleUpgrade(request, socket, head, (ws) => start(ws, auth));
    })().catch((error) => {
      log.warn('websocket upgrade failed', { error });
      socket.destroy();
    });
  });

  function start(ws: WebSocket, auth: AuthContext | null): void {
    const session = new Session(ws, auth, options);
    sessions.add(session);
    ws.on('pong', () => { session.alive = true; });
    ws.on('message', (data, isBinary) => {
      void handle(session, isBinary ? null : data.toString()).catch((error) => {
        if (error instanceof RippleError) session.error(error.code, error.message, error.details);
        else {
          log.error('websocket message failed', { error });
          session.error('internal', 'the server failed to handle this message');
        }
      });
    });
    ws.on('close', () => {
      session.closing = true;
      sessions.delete(session);
    });
    ws.on('error', (error) => log.debug('websocket client error', { error }));
  }

  async function handle(session: Session, text: string | null): Promise<void> {
    if (text === null) throw invalidInput('message', 'messages must be JSON text frames');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidInput('message', `message is not JSON: ${text.slice(0, 60)}`);
    }
    const message = expectObject(parsed, 'message');
    switch (message.op) {
      case 'auth': {
        expectKeys(message, ['op', 'token'], '');
        const auth = await authenticate(options.db, expectString(message.token, 'token', { min: 1, max: 200 }));
        if (!auth) throw new RippleError(ErrorCode.Unauthorized, 'the API token is unknown, revoked or expired', { field: 'token' });
        session.auth = auth;
        session.send({ op: 'authenticated', user: auth.user.name });
        return;
      }
      case 'subscribe':
        return subscribe(session, message);
      case 'unsubscribe': {
        expectKeys(message, ['op', 'id'], '');
        const id = expectString(message.id, 'id', { min: 1, max: 100 });
        if (!session.subscriptions.delete(id)) throw new RippleError(ErrorCode.NotFound, `no subscription '${id}' on this connection`, { subscription: id });
        session.send({ op: 'unsubscribed', id });
        return;
      }
      default:
        throw invalidInput('op', `unknown op ${JSON.stringify(message.op)}; use auth, subscribe or unsubscribe`);
    }
  }

  async function subscribe(session: Session, message: Record<string, unknown>): Promise<void> {
    expectKeys(message, ['op', 'id', 'filter', 'resume_from'], '');
    const id = expectString(message.id, 'id', { min: 1, max: 100 });
    const fail = (error: unknown) => {
      if (error instanceof RippleError) error.details.subscription = id;
      return error;
    };
    try {
      if (session.subscriptions.has(id)) throw new RippleError(ErrorCode.Conflict, `subscription '${id}' already exists on this connection`, { field: 'id' });
      if (session.subscriptions.size >= maxSubscriptionsPerClient) throw invalidInput('id', `at most ${maxSubscriptionsPerClient} subscriptions per connection`);
      const spec = parseFilterSpec(message.filter ?? {});
      const resumeFrom = message.resume_from === undefined ? undefined : expectInteger(message.resume_from, 'resume_from', { min: 0 });
      const filter = await EventFilter.compile(options.db, spec, session.auth);
      if (resumeFrom !== undefined) {
        // Replays from the hub's buffer lose nothing, so its cached mark suffices there (no query per
        // client in a reconnect storm); replays from the log need the current mark.
        const prunedThrough = resumeFrom >= options.hub.bufferFloor ? options.hub.prunedThroughId : await retentionLowWaterMark(options.db);
        if (resumeFrom < prunedThrough) {
          session.error('resume_too_old', `events after ${resumeFrom} up to ${prunedThrough} were pruned by retention; resynchronise from current state and subscribe without resume_from`, { subscription: id, pruned_through: prunedThrough });
          return;
        }
      }
      const cursor = resumeFrom ?? options.hub.lastSeenId;
      const sub: Subscription = { id, filter, cursor, live: false, pending: 0, flushedThrough: cursor };
      session.subscriptions.set(id, sub);
      session.send({ op: 'subscribed', id, cursor });
      await session.replay(sub);
    } catch (error) {
      throw fail(error);
    }
  }

  const unsubscribeHub = options.hub.subscribe((events) => {
    for (const session of sessions) session.onEvents(events);
  });

  const heartbeat = setInterval(() => {
    const latest = options.hub.lastSeenId;
    for (const session of sessions) {
      if (!session.alive) {
        session.socket.terminate();
        continue;
      }
      session.alive = false;
      session.socket.ping();
      session.send({ op: 'heartbeat', latest_id: latest });
    }
  }, options.heartbeatMs);
  heartbeat.unref();

  return {
    get clientCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(heartbeat);
      unsubscribeHub();
      for (const session of sessions) session.socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const session of sessions) session.socket.terminate();
    },
  };
}
