/**
 * Runs `work` when woken (a notification, a hub batch) and every `pollMs`, never twice at once:
 * a wake-up during a run schedules exactly one more run, so bursts of wake-ups coalesce.
 * Shared by the hub and the log followers (webhooks, AMQP).
 */
import { log } from '../log.ts';
import type { EventHub } from './event-hub.ts';

export class WakeableLoop {
  readonly #work: () => Promise<void>;
  readonly #name: string;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(name: string, work: () => Promise<void>) {
    this.#name = name;
    this.#work = work;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Polls every `pollMs`; with a hub, also runs after each batch of new events. */
  start(pollMs: number, hub?: EventHub): void {
    this.#stopped = false;
    this.#timer = setInterval(() => void this.wake(), pollMs);
    this.#timer.unref();
    this.#unsubscribe = hub?.subscribe(() => void this.wake());
    void this.wake();
  }

  /** Stops polling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#running;
  }

  /** Resolves when the run this wake-up joined (or started) has finished. */
  wake(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#work().catch((error) => log.warn(`${this.#name} failed`, { error })).finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.wake();
      }
    });
    return this.#running;
  }
}
