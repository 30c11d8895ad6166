/**
 * The page's live feed over /ws. A page asks for the events it shows (`watch(filters, onEvents)`);
 * each filter is one subscription. The cursor of each (the acknowledged position, then the last
 * event id seen) is the `resume_from` of the next connection, so a dropped connection, a slow
 * consumer close (4008) or a restarted server loses nothing and repeats nothing. When the server
 * can no longer replay (`resume_too_old`) the page is told to reload its data from the REST API.
 */
import type { RippleEvent } from './types.ts';

export interface EventFilter {
  types?: string[];
  collection?: string;
  package?: string;
  group?: string;
}

/** `resynchronise`: data read before now may be stale and no events will say how (re-read it). */
type Listener = (events: RippleEvent[], resynchronise: boolean) => void;
type Status = 'connecting' | 'live' | 'offline';

interface Watched { id: string; filter: EventFilter; cursor: number | null }

export class LiveFeed {
  #socket: WebSocket | null = null;
  #watched: Watched[] = [];
  #listener: Listener | null = null;
  #generation = 0;
  #retryMs = 500;
  #seen = new Set<number>();
  #status: Status = 'offline';
  readonly #onStatus: (status: Status) => void;

  constructor(onStatus: (status: Status) => void) {
    this.#onStatus = onStatus;
  }

  get status(): Status {
    return this.#status;
  }

  /** Replaces the page's subscriptions; events after this moment reach `listener`. */
  watch(filters: EventFilter[], listener: Listener): void {
    for (const old of this.#watched) this.#send({ op: 'unsubscribe', id: old.id });
    this.#generation++;
    this.#watched = filters.map((filter, i) => ({ id: `p${this.#generation}-${i}`, filter, cursor: null }));
    this.#listener = listener;
    this.#seen.clear();
    if (this.#socket?.readyState === WebSocket.OPEN) for (const w of this.#watched) this.#subscribe(w);
    else this.#connect();
  }

  #send(message: unknown): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #subscribe(w: Watched): void {
    this.#send({ op: 'subscribe', id: w.id, filter: w.filter, ...(w.cursor === null ? {} : { resume_from: w.cursor }) });
  }

  #setStatus(status: Status): void {
    this.#status = status;
    this.#onStatus(status);
  }

  #connect(): void {
    if (this.#socket && this.#socket.readyState <= WebSocket.OPEN) return;
    this.#setStatus('connecting');
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#retryMs = 500;
      this.#setStatus('live');
      for (const w of this.#watched) this.#subscribe(w);
    });
    socket.addEventListener('message', (message) => this.#receive(JSON.parse(String(message.data)) as Record<string, unknown>));
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#setStatus('offline');
      // Reconnect with backoff; subscriptions resume from their cursors.
      setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 15_000);
    });
  }

  #receive(message: Record<string, unknown>): void {
    const watched = this.#watched.find((w) => w.id === message.id || w.id === message.subscription);
    if (message.op === 'subscribed' && watched && watched.cursor === null) {
      watched.cursor = Number(message.cursor);
      // Events between the page's REST reads and this moment were not sent: let it re-read if it already did.
      this.#listener?.([], true);
    }
    else if (message.op === 'event' && watched) {
      const event = message.event as RippleEvent;
      watched.cursor = Math.max(watched.cursor ?? 0, event.id);
      // Two subscriptions of a page may both match one event.
      if (this.#seen.has(event.id)) return;
      this.#seen.add(event.id);
      this.#listener?.([event], false);
    } else if (message.op === 'error' && message.code === 'resume_too_old' && watched) {
      watched.cursor = null;
      this.#subscribe(watched);
      this.#listener?.([], true);
    }
  }
}
