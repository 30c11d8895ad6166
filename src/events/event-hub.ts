/**
 * One per process: follows the event log and hands every new event, in id order, to its
 * listeners (websocket sessions, webhook and AMQP followers). It wakes on `NOTIFY ripple_events`
 * from any instance and also polls, so a dropped notification only delays events: the log, not
 * the notification, is the source of truth. The hub keeps no per-listener queue; listeners that
 * cannot keep up must read the log themselves (see websocket-server.ts).
 *
 * It also keeps the most recent events (a bounded suffix of the log) so that resuming clients,
 * typically a reconnect storm after a deploy, replay from memory instead of one query each.
 */
import type { Database } from '../db/database.ts';
import { log } from '../log.ts';
import { EVENTS_CHANNEL, latestEventId, readEvents, retentionLowWaterMark, type Event } from './event-log.ts';
import { WakeableLoop } from './wakeable-loop.ts';

export type EventListener = (events: readonly Event[]) => void;

export interface EventHubOptions {
  /** Poll interval in ms (fallback for lost notifications). */
  pollMs: number;
  /** Events read per query. */
  pageSize?: number;
  /** Recent events kept for replays (memory holds between this and twice this many). */
  bufferSize?: number;
}

export class EventHub {
  readonly #database: Database;
  readonly #options: Required<EventHubOptions>;
  readonly #listeners = new Set<EventListener>();
  readonly #loop = new WakeableLoop('reading the event log', () => this.#drain());
  #lastSeenId = 0;
  /** Every event with id > #floor and <= #lastSeenId, in id order. */
  #recent: Event[] = [];
  #floor = 0;
  #prunedThrough = 0;
  #prunedReadAt = 0;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(database: Database, options: EventHubOptions) {
    this.#database = database;
    this.#options = { pollMs: options.pollMs, pageSize: options.pageSize ?? 500, bufferSize: options.bufferSize ?? 10_000 };
  }

  /** Highest event id handed to listeners: every event up to it has been delivered. */
  get lastSeenId(): number {
    return this.#lastSeenId;
  }

  /** Starts at the current end of the log (earlier events are read by whoever needs them). */
  async start(): Promise<void> {
    this.#unlisten = await this.#database.listen(EVENTS_CHANNEL, () => void this.wake());
    // After LISTEN: an event committed in between is then found by the first read.
    this.#lastSeenId = await latestEventId(this.#database.db);
    this.#floor = this.#lastSeenId;
    await this.#refreshPruned();
    this.#loop.start(this.#options.pollMs);
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    await this.#loop.stop();
  }

  /** The retention mark as last read (at most one poll interval old): ids <= it may be pruned. */
  get prunedThroughId(): number {
    return this.#prunedThrough;
  }

  /** Events before this id may be missing from the recent buffer (see `recentAfter`). */
  get bufferFloor(): number {
    return this.#floor;
  }

  /**
   * Up to `limit` events with id > `afterId` from memory, exactly as the log holds them up to
   * `lastSeenId`; undefined when `afterId` is older than the buffer (then read the log).
   */
  recentAfter(afterId: number, limit: number): Event[] | undefined {
    if (afterId < this.#floor) return undefined;
    let low = 0;
    let high = this.#recent.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#recent[mid]!.id <= afterId) low = mid + 1;
      else high = mid;
    }
    return this.#recent.slice(low, low + limit);
  }

  /** Adds `listener`; returns the function removing it. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Reads the log now (coalesced with a read in progress); resolves when the read is done. */
  wake(): Promise<void> {
    return this.#loop.wake();
  }

  /** On failure the next notification or poll retries from the same id. */
  async #drain(): Promise<void> {
    if (Date.now() - this.#prunedReadAt >= this.#options.pollMs) await this.#refreshPruned();
    for (;;) {
      const events = await readEvents(this.#database.db, { afterId: this.#lastSeenId, limit: this.#options.pageSize });
      if (events.length === 0 || this.#loop.stopped) return;
      this.#lastSeenId = events.at(-1)!.id;
      this.#remember(events);
      for (const listener of this.#listeners) {
        try {
          listener(events);
        } catch (error) {
          log.error('event listener failed', { error });
        }
      }
      if (events.length < this.#options.pageSize) return;
    }
  }

  async #refreshPruned(): Promise<void> {
    this.#prunedThrough = await retentionLowWaterMark(this.#database.db);
    this.#prunedReadAt = Date.now();
  }

  #remember(events: Event[]): void {
    this.#recent.push(...events);
    const { bufferSize } = this.#options;
    // Trimmed in bulk: at most twice the size is held, and trimming stays amortised O(1) per event.
    if (this.#recent.length > 2 * bufferSize) {
      const dropped = this.#recent.splice(0, this.#recent.length - bufferSize);
      this.#floor = dropped.at(-1)!.id;
    }
  }
}
