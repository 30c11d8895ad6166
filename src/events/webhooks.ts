/**
 * Webhook delivery, at least once, across restarts and instances:
 * 1. A follower turns new log events into `webhook_deliveries` rows for every matching subscription
 *    with a webhook, and advances its persisted cursor in the same transaction (the cursor row is
 *    locked, so one instance follows at a time; commit order = id order makes the cursor exact).
 * 2. Senders claim due deliveries with FOR UPDATE SKIP LOCKED, pushing `next_attempt_at` ahead as a
 *    lease, POST outside the transaction, then record the outcome. A sender dying mid-request
 *    leaves the delivery due again when the lease ends.
 * Body: the event envelope (as on the websocket); headers X-Ripple-Event-Id, X-Ripple-Event-Type,
 * X-Ripple-Delivery and X-Ripple-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>.
 * Retries wait backoff * 2^(attempt-1), capped at 6 hours; after maxAttempts the delivery fails.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookAttempt } from '../db/schema.ts';
import { withTransaction } from '../db/database.ts';
import { log } from '../log.ts';
import { eventEnvelope } from './event-catalogue.ts';
import type { EventHub } from './event-hub.ts';
import { readEvents, type Event } from './event-log.ts';
import { followLog } from './log-follower.ts';
import { WakeableLoop } from './wakeable-loop.ts';

export interface WebhookWorkerOptions {
  maxAttempts: number;
  /** Wait after the first failure, in ms; doubles per further failure. */
  backoffMs: number;
  timeoutMs: number;
  /** How often due deliveries are looked for (retries become due without any event). */
  pollMs: number;
  /** Deliveries claimed (and POSTed concurrently) per round. */
  batchSize?: number;
}

const maxBackoffMs = 6 * 3600_000;
const followPage = 1000;

export const webhookSignature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export const retryDelayMs = (attempt: number, baseMs: number) => Math.min(maxBackoffMs, baseMs * 2 ** Math.max(0, attempt - 1));

/** Creates deliveries for events after the 'webhooks' cursor; returns how many events it consumed (0 = caught up or another instance is at it). */
export function createDeliveries(db: Db): Promise<number> {
  return followLog(db, 'webhooks', followPage, async (trx, afterId, throughId) => {
    await sql`
      insert into webhook_deliveries (subscription_id, event_id)
      select s.id, e.id
      from events e
      join subscriptions s on s.webhook_url is not null
        and (s.package_name = e.package_name
             or exists (select 1 from package_group_members m where m.group_id = s.group_id and m.package_name = e.package_name))
        and (cardinality(s.types) = 0
             or exists (select 1 from unnest(s.types) t
                        where t = e.type or (right(t, 2) = '.*' and left(e.type, length(t) - 1) = left(t, -1))))
      where e.id > ${afterId} and e.id <= ${throughId}
      on conflict do nothing`.execute(trx);
  });
}

interface Claimed { id: number; event_id: number; attempts: number; subscription_id: number; webhook_url: string | null; webhook_secret: string | null }

export class WebhookWorker {
  readonly #db: Db;
  readonly #options: Required<WebhookWorkerOptions>;
  readonly #hub: EventHub | undefined;
  readonly #loop = new WakeableLoop('webhook round', () => this.#round());

  /** With a hub, new events are turned into deliveries at once rather than at the next poll. */
  constructor(db: Db, options: WebhookWorkerOptions, hub?: EventHub) {
    this.#db = db;
    this.#options = { ...options, batchSize: options.batchSize ?? 20 };
    this.#hub = hub;
  }

  start(): void {
    this.#loop.start(this.#options.pollMs, this.#hub);
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Runs a round now (coalesced with one in progress). */
  tick(): Promise<void> {
    return this.#loop.wake();
  }

  async #round(): Promise<void> {
    while (!this.#loop.stopped && (await createDeliveries(this.#db)) === followPage);
    while (!this.#loop.stopped && (await this.sendDue()) === this.#options.batchSize);
  }

  /** Claims and POSTs due deliveries; returns how many were attempted. */
  async sendDue(): Promise<number> {
    const leaseMs = this.#options.timeoutMs * 2 + 5000;
    const claimed = await withTransaction(this.#db, async (trx) => {
      const { rows } = await sql<Claimed>`
        update webhook_deliveries d
        set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
        from subscriptions s
        where s.id = d.subscription_id and d.id in (
          select id from webhook_deliveries
          where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at, id
          limit ${this.#options.batchSize}
          for update skip locked)
        returning d.id, d.event_id, d.attempts, d.subscription_id, s.webhook_url, s.webhook_secret`.execute(trx);
      return rows;
    });
    if (claimed.length === 0) return 0;
    const events = new Map<number, Event>();
    for (const id of new Set(claimed.map((c) => c.event_id))) {
      const [event] = await readEvents(this.#db, { afterId: id - 1, limit: 1 });
      if (event?.id === id) events.set(id, event);
    }
    await Promise.all(claimed.map(async (delivery) => {
      const event = events.get(delivery.event_id);
      if (!event || delivery.webhook_url === null || delivery.webhook_secret === null) {
        await this.#record(delivery, null, event ? 'the subscription no longer has a webhook' : 'the event was pruned before it could be delivered', true);
        return;
      }
      const body = JSON.stringify(eventEnvelope(event));
      let status: number | null = null;
      let error: string | null = null;
      try {
        const response = await fetch(delivery.webhook_url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'ripple-webhooks',
            'x-ripple-event-id': String(event.id),
            'x-ripple-event-type': event.type,
            'x-ripple-delivery': String(delivery.id),
            'x-ripple-signature': webhookSignature(delivery.webhook_secret, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.#options.timeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
        if (status < 200 || status > 299) error = `receiver answered HTTP ${status}`;
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${(e.cause as Error | undefined)?.message ?? e.message}` : String(e);
      }
      await this.#record(delivery, status, error, false);
    }));
    return claimed.length;
  }

  async #record(delivery: Claimed, responseCode: number | null, error: string | null, final: boolean): Promise<void> {
    const attempt: WebhookAttempt = { at: new Date().toISOString(), response_code: responseCode, error };
    const delivered = error === null;
    const failed = !delivered && (final || delivery.attempts >= this.#options.maxAttempts);
    const status = delivered ? 'delivered' : failed ? 'failed' : 'pending';
    await this.#db.updateTable('webhook_deliveries').set({
      status,
      response_code: responseCode,
      error,
      history: sql`history || ${JSON.stringify([attempt])}::jsonb`,
      next_attempt_at: status === 'pending' ? new Date(Date.now() + retryDelayMs(delivery.attempts, this.#options.backoffMs)) : new Date(),
      delivered_at: delivered ? new Date() : null,
    }).where('id', '=', delivery.id).execute();
    if (!delivered) log.info('webhook delivery failed', { delivery: delivery.id, event: delivery.event_id, attempt: delivery.attempts, status, error });
  }
}
