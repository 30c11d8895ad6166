/**
 * Publishes every event to an AMQP topic exchange with routing key `ripple.<type>` (fedora-messaging
 * style: JSON body = the event envelope, persistent, message id = event id). At least once: a page
 * of events is published on a confirm channel and the persisted 'amqp' cursor advances only after
 * the broker confirmed it (log-follower.ts), so a broker or process failure repeats, never skips.
 * Consumers dedupe by message id.
 */
import amqp from 'amqplib';
import type { Db } from '../db/database.ts';
import { log } from '../log.ts';
import { eventEnvelope } from './event-catalogue.ts';
import type { EventHub } from './event-hub.ts';
import { readEvents } from './event-log.ts';
import { followLog } from './log-follower.ts';
import { WakeableLoop } from './wakeable-loop.ts';

export interface AmqpPublisherOptions {
  url: string;
  exchange: string;
  /** How often the log is checked without a hub wake-up (and how soon a lost broker is retried). */
  pollMs: number;
}

const page = 500;

export const amqpTopic = (type: string) => `ripple.${type}`;

export class AmqpPublisher {
  readonly #db: Db;
  readonly #options: AmqpPublisherOptions;
  readonly #hub: EventHub | undefined;
  #connection: Promise<{ model: amqp.ChannelModel; channel: amqp.ConfirmChannel }> | undefined;
  readonly #loop = new WakeableLoop('publishing events to AMQP', () => this.#round());

  constructor(db: Db, options: AmqpPublisherOptions, hub?: EventHub) {
    this.#db = db;
    this.#options = options;
    this.#hub = hub;
  }

  start(): void {
    this.#loop.start(this.#options.pollMs, this.#hub);
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
    const connection = await this.#connection?.catch(() => undefined);
    this.#connection = undefined;
    await connection?.model.close().catch(() => undefined);
  }

  /** Runs a round now (coalesced with one in progress). */
  tick(): Promise<void> {
    return this.#loop.wake();
  }

  #connect() {
    this.#connection ??= (async () => {
      const model = await amqp.connect(this.#options.url);
      const forget = (error?: Error) => {
        if (error) log.warn('AMQP connection lost', { error });
        this.#connection = undefined;
      };
      model.on('error', forget);
      model.on('close', () => forget());
      const channel = await model.createConfirmChannel();
      channel.on('error', forget);
      await channel.assertExchange(this.#options.exchange, 'topic', { durable: true });
      return { model, channel };
    })();
    return this.#connection;
  }

  async #round(): Promise<void> {
    try {
      while (!this.#loop.stopped) {
        const { channel } = await this.#connect();
        const published = await followLog(this.#db, 'amqp', page, async (trx, afterId) => {
          for (const event of await readEvents(trx, { afterId, limit: page })) {
            channel.publish(this.#options.exchange, amqpTopic(event.type), Buffer.from(JSON.stringify(eventEnvelope(event))), {
              contentType: 'application/json', persistent: true, messageId: String(event.id), timestamp: Math.floor(event.occurredAt.getTime() / 1000),
              type: event.type,
            });
          }
          await channel.waitForConfirms();
        });
        if (published < page) return;
      }
    } catch (error) {
      // The cursor did not move; the next tick retries (with a fresh connection if it broke).
      log.warn('publishing events to AMQP failed', { error });
      const connection = await this.#connection?.catch(() => undefined);
      this.#connection = undefined;
      await connection?.model.close().catch(() => undefined);
    }
  }
}
