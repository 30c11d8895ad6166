/**
 * Everything that follows the event log in one service process: the hub, the `/ws` feed on the
 * API's http server, the webhook worker and (when configured) the AMQP publisher.
 * `ripple serve` starts it before the http server and passes `attach` as `startServer`'s onServer.
 */
import type { Server } from 'node:http';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { AmqpPublisher } from './amqp-publisher.ts';
import { EventHub } from './event-hub.ts';
import { WebhookWorker } from './webhooks.ts';
import { attachEventSocket, type EventSocketServer } from './websocket-server.ts';

export type EventServiceConfig = Pick<Config, 'eventPollMs' | 'eventBufferEvents' | 'wsHeartbeatSeconds' | 'wsMaxBufferedEvents' | 'webhookMaxAttempts' | 'webhookBackoffSeconds' | 'webhookTimeoutSeconds' | 'amqpUrl' | 'amqpExchange'>;

export interface EventService {
  hub: EventHub;
  /** Serves `/ws` on `server` (call once, before it listens). */
  attach(server: Server): void;
  stop(): Promise<void>;
}

export async function startEventService(database: Database, config: EventServiceConfig): Promise<EventService> {
  const hub = new EventHub(database, { pollMs: config.eventPollMs, bufferSize: config.eventBufferEvents });
  await hub.start();
  const webhooks = new WebhookWorker(database.db, {
    maxAttempts: config.webhookMaxAttempts,
    backoffMs: config.webhookBackoffSeconds * 1000,
    timeoutMs: config.webhookTimeoutSeconds * 1000,
    pollMs: config.eventPollMs,
  }, hub);
  webhooks.start();
  const amqp = config.amqpUrl ? new AmqpPublisher(database.db, { url: config.amqpUrl, exchange: config.amqpExchange, pollMs: config.eventPollMs }, hub) : undefined;
  amqp?.start();
  const sockets: EventSocketServer[] = [];
  return {
    hub,
    attach(server) {
      sockets.push(attachEventSocket(server, {
        db: database.db, hub, heartbeatMs: config.wsHeartbeatSeconds * 1000, maxBufferedEvents: config.wsMaxBufferedEvents,
      }));
    },
    async stop() {
      await Promise.all(sockets.map((s) => s.close()));
      await webhooks.stop();
      await amqp?.stop();
      await hub.stop();
    },
  };
}
