/**
 * Subscriptions of users to package groups and packages, each optionally with a webhook (URL +
 * secret used to sign deliveries), and the per-subscription delivery log. Only the owner (or an
 * admin) sees or deletes a subscription; the secret is never shown again after creation.
 */
import type { Db } from '../db/database.ts';
import type { WebhookAttempt, WebhookDeliveryStatus } from '../db/schema.ts';
import { ErrorCode, RippleError, invalidInput, notFound } from '../errors.ts';
import { getGroup, groupLabel, parseGroupRef } from '../collections/service.ts';
import { expectKeys, expectObject, expectPackageName, expectString, optional } from '../http/validation.ts';
import type { AuthContext } from '../users/service.ts';
import { expectTypeFilters } from './event-filter.ts';

export const deliveryStatuses: readonly WebhookDeliveryStatus[] = ['pending', 'delivered', 'failed'];

export interface SubscriptionView {
  id: number;
  user: string;
  group: string | null;
  package: string | null;
  types: string[];
  webhook: { url: string } | null;
  createdAt: Date;
}

export interface DeliveryView {
  id: number;
  eventId: number;
  eventType: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  responseCode: number | null;
  error: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  history: WebhookAttempt[];
}

function expectWebhookUrl(value: unknown, field: string): string {
  const text = expectString(value, field, { min: 1, max: 2000 });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput(field, `${field} '${text.slice(0, 80)}' is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput(field, `${field} must be an http or https URL, got ${url.protocol}`);
  return text;
}

const selectViews = (db: Db) => db
  .selectFrom('subscriptions as s')
  .innerJoin('users as u', 'u.id', 's.user_id')
  .leftJoin('package_groups as g', 'g.id', 's.group_id')
  .leftJoin('users as gu', 'gu.id', 'g.namespace_user_id')
  .select(['s.id', 's.user_id', 'u.name as user', 'g.name as group_name', 'gu.name as group_namespace', 's.package_name', 's.types', 's.webhook_url', 's.created_at']);

type ViewRow = Awaited<ReturnType<ReturnType<typeof selectViews>['executeTakeFirstOrThrow']>>;

const toView = (r: ViewRow): SubscriptionView => ({
  id: r.id,
  user: r.user,
  group: r.group_name === null ? null : groupLabel({ namespace: r.group_namespace, name: r.group_name }),
  package: r.package_name,
  types: r.types,
  webhook: r.webhook_url === null ? null : { url: r.webhook_url },
  createdAt: r.created_at,
});

/**
 * Creates a subscription from `{group | package, types?, webhook?: {url, secret}}` for the caller.
 * A second subscription of the same user to the same group or package is a conflict.
 */
export async function createSubscription(db: Db, auth: AuthContext, input: unknown): Promise<SubscriptionView> {
  const body = expectObject(input, 'body');
  expectKeys(body, ['group', 'package', 'types', 'webhook'], '');
  if ((body.group === undefined) === (body.package === undefined)) throw invalidInput('group', 'give exactly one of group (namespace/name) and package');
  const groupText = optional(body, 'group', (v, f) => expectString(v, f, { min: 1, max: 401 }));
  const packageName = optional(body, 'package', expectPackageName) ?? null;
  const types = optional(body, 'types', expectTypeFilters) ?? [];
  let webhook: { url: string; secret: string } | null = null;
  if (body.webhook !== undefined && body.webhook !== null) {
    const w = expectObject(body.webhook, 'webhook');
    expectKeys(w, ['url', 'secret'], 'webhook');
    webhook = { url: expectWebhookUrl(w.url, 'webhook.url'), secret: expectString(w.secret, 'webhook.secret', { min: 16, max: 200 }) };
  }
  const groupId = groupText === undefined ? null : (await getGroup(db, parseGroupRef(groupText, 'group'))).id;
  const row = await db.insertInto('subscriptions').values({
    user_id: auth.user.id, group_id: groupId, package_name: packageName, types,
    webhook_url: webhook?.url ?? null, webhook_secret: webhook?.secret ?? null,
  }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
  if (!row) throw new RippleError(ErrorCode.Conflict, `you already subscribe to ${groupText !== undefined ? `group '${groupText}'` : `package '${packageName}'`}`, { field: groupText !== undefined ? 'group' : 'package' });
  return getSubscription(db, auth, row.id);
}

export async function listSubscriptions(db: Db, auth: AuthContext): Promise<SubscriptionView[]> {
  return (await selectViews(db).where('s.user_id', '=', auth.user.id).orderBy('s.id').execute()).map(toView);
}

async function ownedRow(db: Db, auth: AuthContext, id: number): Promise<ViewRow> {
  const row = await selectViews(db).where('s.id', '=', id).executeTakeFirst();
  // Someone else's subscription is reported as missing: its existence is not the caller's business.
  if (!row || (row.user_id !== auth.user.id && !auth.scopes.includes('admin'))) throw notFound('subscription', String(id));
  return row;
}

export async function getSubscription(db: Db, auth: AuthContext, id: number): Promise<SubscriptionView> {
  return toView(await ownedRow(db, auth, id));
}

export async function deleteSubscription(db: Db, auth: AuthContext, id: number): Promise<void> {
  await ownedRow(db, auth, id);
  await db.deleteFrom('subscriptions').where('id', '=', id).execute();
}

/** The subscription's webhook deliveries, newest first. */
export async function listDeliveries(db: Db, auth: AuthContext, id: number, options: { limit: number; status?: WebhookDeliveryStatus }): Promise<DeliveryView[]> {
  await ownedRow(db, auth, id);
  let query = db.selectFrom('webhook_deliveries as d').leftJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.event_id', 'e.type', 'd.status', 'd.attempts', 'd.response_code', 'd.error', 'd.next_attempt_at', 'd.created_at', 'd.delivered_at', 'd.history'])
    .where('d.subscription_id', '=', id);
  if (options.status) query = query.where('d.status', '=', options.status);
  const rows = await query.orderBy('d.event_id', 'desc').limit(options.limit).execute();
  return rows.map((r) => ({
    id: r.id, eventId: r.event_id, eventType: r.type, status: r.status, attempts: r.attempts, responseCode: r.response_code, error: r.error,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null, createdAt: r.created_at, deliveredAt: r.delivered_at, history: r.history,
  }));
}
