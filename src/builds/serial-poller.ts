/**
 * The polling life of a builder (local or koji): work on intervals, one run at a time (a tick
 * asked for during a run starts after it), and a stop that waits for the run in progress.
 */
export class SerialPoller {
  readonly #work: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #timers: NodeJS.Timeout[] = [];
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(work: () => Promise<void>, onError: (error: unknown) => void) {
    this.#work = work;
    this.#onError = onError;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs the work every `pollMs` and `also.run` (lease renewal, say) every `also.every` ms; the first run is awaited. */
  start(pollMs: number, also?: { every: number; run: () => void }): Promise<void> {
    this.#stopped = false;
    this.#timers.push(setInterval(() => void this.tick(), pollMs));
    if (also) this.#timers.push(setInterval(also.run, also.every));
    return this.tick();
  }

  /** One run now, after the one in progress. */
  tick(): Promise<void> {
    this.#running = this.#running.then(() => (this.#stopped ? undefined : this.#work())).catch(this.#onError);
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#running;
  }
}
