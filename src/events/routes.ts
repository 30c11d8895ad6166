/** HTTP routes of subscriptions (with webhooks) and their delivery logs; every route needs a token. */
import type { Context } from 'hono';
import { caller } from '../http/auth.ts';
import { s, type ApiRoutes, type AppEnv } from '../http/api-routes.ts';
import { pathParam, queryEnum, queryInteger, readJsonBody } from '../http/validation.ts';
import { createSubscription, deleteSubscription, deliveryStatuses, getSubscription, listDeliveries, listSubscriptions } from './subscriptions.ts';

const subscriptionSchema = s.object({
  id: s.integer(),
  user: s.string(),
  group: s.nullable(s.string({ description: 'namespace/name' })),
  package: s.nullable(s.string()),
  types: s.array(s.string(), { description: 'event type filter (exact or package.*); empty = every type' }),
  webhook: s.nullable(s.object({ url: s.string() })),
  createdAt: s.dateTime(),
}, ['id', 'user', 'group', 'package', 'types', 'webhook', 'createdAt']);

const deliverySchema = s.object({
  id: s.integer(), eventId: s.integer(), eventType: s.nullable(s.string()), status: s.enum(deliveryStatuses), attempts: s.integer(),
  responseCode: s.nullable(s.integer()), error: s.nullable(s.string()), nextAttemptAt: s.nullable(s.dateTime()),
  createdAt: s.dateTime(), deliveredAt: s.nullable(s.dateTime()),
  history: s.array(s.object({ at: s.dateTime(), response_code: s.nullable(s.integer()), error: s.nullable(s.string()) })),
});

const idParam = { id: 'subscription id' };
const subscriptionId = (c: Context<AppEnv>) => Number(pathParam(c, 'id', { max: 15, pattern: /^\d+$/, patternText: 'a numeric subscription id' }));

export function registerSubscriptionRoutes(routes: ApiRoutes): void {
  routes.add({
    method: 'get', path: '/api/subscriptions', tag: 'subscriptions', summary: "The caller's subscriptions", scope: 'any',
    response: s.array(subscriptionSchema),
    handler: async (c) => c.json(await listSubscriptions(c.var.db, caller(c))),
  });
  routes.add({
    method: 'post', path: '/api/subscriptions', tag: 'subscriptions', status: 201, scope: 'any',
    summary: 'Subscribe to a group or a package, optionally with a webhook (JSON POSTs signed with HMAC-SHA256 of the secret)',
    body: s.object({
      group: s.string({ description: 'namespace/name or global/name' }),
      package: s.string(),
      types: s.array(s.string()),
      webhook: s.nullable(s.object({ url: s.string({ format: 'uri' }), secret: s.string({ minLength: 16 }) }, ['url', 'secret'])),
    }),
    response: subscriptionSchema,
    handler: async (c) => c.json(await createSubscription(c.var.db, caller(c), await readJsonBody(c)), 201),
  });
  routes.add({
    method: 'get', path: '/api/subscriptions/:id', tag: 'subscriptions', summary: 'One of your subscriptions', scope: 'any',
    pathParameters: idParam, response: subscriptionSchema,
    handler: async (c) => c.json(await getSubscription(c.var.db, caller(c), subscriptionId(c))),
  });
  routes.add({
    method: 'delete', path: '/api/subscriptions/:id', tag: 'subscriptions', summary: 'Delete one of your subscriptions (and its delivery log)', scope: 'any',
    pathParameters: idParam, response: s.object({ deleted: s.integer() }),
    handler: async (c) => {
      const id = subscriptionId(c);
      await deleteSubscription(c.var.db, caller(c), id);
      return c.json({ deleted: id });
    },
  });
  routes.add({
    method: 'get', path: '/api/subscriptions/:id/deliveries', tag: 'subscriptions', summary: "A subscription's webhook deliveries, newest event first", scope: 'any',
    pathParameters: idParam,
    query: [
      { name: 'status', schema: s.enum(deliveryStatuses), description: 'only deliveries in this status' },
      { name: 'limit', schema: s.integer({ minimum: 1, maximum: 1000, default: 100 }), description: 'at most this many' },
    ],
    response: s.array(deliverySchema),
    handler: async (c) => c.json(await listDeliveries(c.var.db, caller(c), subscriptionId(c), {
      limit: queryInteger(c, 'limit', { min: 1, max: 1000 }) ?? 100,
      status: queryEnum(c, 'status', deliveryStatuses),
    })),
  });
}
