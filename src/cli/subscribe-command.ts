/**
 * `ripple subscribe add|list|remove|deliveries`: a maintainer's subscriptions to groups and
 * packages, with optional webhooks, through the same service calls as /api/subscriptions. The CLI
 * is trusted (like `ripple group`): it acts as the named user, or as the subscription's owner.
 */
import { getCollection } from '../collections/service.ts';
import type { Db } from '../db/database.ts';
import type { User, WebhookDeliveryStatus } from '../db/schema.ts';
import { notFound } from '../errors.ts';
import {
  createSubscription, deleteSubscription, deliveryStatuses, listDeliveries, listSubscriptions, type SubscriptionView,
} from '../events/subscriptions.ts';
import { getUser, type AuthContext } from '../users/service.ts';
import { UsageError, dispatch, parseInteger, runCommand, withDatabase } from './command-line.ts';
import { formatTable } from './table.ts';

const addHelp = `usage: ripple subscribe add --user NAME (--group NS/NAME | --package COLLECTION/NAME) [--types a.b,c.*] [--webhook URL --secret S]

Subscribes the user to a group (its members' events) or a package (its events in every
collection; the collection given must track it). --types keeps only those event types (exact, or
a prefix ending in .*). --webhook also POSTs each matching event, signed with --secret (16+ chars).`;

const help = `usage: ripple subscribe <subcommand>

  add --user NAME (--group NS/NAME | --package COLLECTION/NAME) [--types a.b,c.*] [--webhook URL --secret S]
  list --user NAME                          the user's subscriptions
  remove <id>                               delete a subscription and its delivery log
  deliveries <id> [--status ${deliveryStatuses.join('|')}] [--limit N]   webhook deliveries, newest event first`;

/** The CLI acts without a token: a context for `user` with the scopes a maintainer's token has. */
const actingAs = (user: User): AuthContext => ({ user, tokenId: 0, scopes: ['maintainer'] });

/** Acts as the owner of subscription `id` (the CLI may manage anyone's subscriptions). */
async function asOwner(db: Db, id: number): Promise<AuthContext> {
  const owner = await db.selectFrom('subscriptions as s').innerJoin('users as u', 'u.id', 's.user_id').selectAll('u').where('s.id', '=', id).executeTakeFirst();
  if (!owner) throw notFound('subscription', String(id));
  return actingAs(owner);
}

const target = (s: SubscriptionView) => (s.group !== null ? `group ${s.group}` : `package ${s.package}`);
const describe = (s: SubscriptionView) => `subscription ${s.id}: ${s.user} -> ${target(s)}${s.types.length ? ` (types ${s.types.join(', ')})` : ''}${s.webhook ? `, webhook ${s.webhook.url}` : ''}`;

const add = (args: string[]) => runCommand({
  name: 'subscribe add', help: addHelp,
  options: { user: { type: 'string' }, group: { type: 'string' }, package: { type: 'string' }, types: { type: 'string', multiple: true }, webhook: { type: 'string' }, secret: { type: 'string' } },
}, args, async (a) => {
  const userName = a.string('user');
  if (userName === undefined) throw new UsageError('--user NAME is required');
  a.exclusive('group', 'package');
  const group = a.string('group');
  const packageRef = a.string('package');
  if (group === undefined && packageRef === undefined) throw new UsageError('give --group NS/NAME or --package COLLECTION/NAME');
  const slash = packageRef?.indexOf('/') ?? -1;
  if (packageRef !== undefined && (slash <= 0 || slash === packageRef.length - 1)) throw new UsageError(`--package must be COLLECTION/NAME, got '${packageRef}'`);
  const url = a.string('webhook');
  const secret = a.string('secret');
  if ((url === undefined) !== (secret === undefined)) throw new UsageError('--webhook URL and --secret S go together');
  const created = await withDatabase(async ({ db }) => {
    const auth = actingAs(await getUser(db, userName));
    let packageName: string | undefined;
    if (packageRef !== undefined) {
      const collection = await getCollection(db, packageRef.slice(0, slash));
      packageName = packageRef.slice(slash + 1);
      const tracked = await db.selectFrom('packages').select('id').where('collection_id', '=', collection.id).where('name', '=', packageName).executeTakeFirst();
      if (!tracked) throw notFound('package', packageRef);
    }
    return createSubscription(db, auth, {
      ...(group !== undefined ? { group } : { package: packageName }),
      ...(a.list('types') ? { types: a.list('types') } : {}),
      ...(url !== undefined ? { webhook: { url, secret } } : {}),
    });
  });
  console.log(`created ${describe(created)}`);
});

const list = (args: string[]) => runCommand({
  name: 'subscribe list', help: 'usage: ripple subscribe list --user NAME', options: { user: { type: 'string' } },
}, args, async (a) => {
  const userName = a.string('user');
  if (userName === undefined) throw new UsageError('--user NAME is required');
  const subscriptions = await withDatabase(async ({ db }) => listSubscriptions(db, actingAs(await getUser(db, userName))));
  if (subscriptions.length === 0) {
    console.log(`${userName} has no subscriptions; add one with ripple subscribe add`);
    return;
  }
  console.log(formatTable(['id', 'subscribed to', 'types', 'webhook', 'created'], subscriptions.map((s) => [
    s.id, target(s), s.types.join(', ') || 'all', s.webhook?.url ?? '', s.createdAt.toISOString(),
  ])));
});

const remove = (args: string[]) => runCommand({
  name: 'subscribe remove', help: 'usage: ripple subscribe remove <id>', positionals: { min: 1 },
}, args, async (a) => {
  const id = parseInteger(a.positionals[0]!, 'the subscription id');
  await withDatabase(async ({ db }) => deleteSubscription(db, await asOwner(db, id), id));
  console.log(`removed subscription ${id}`);
});

const deliveries = (args: string[]) => runCommand({
  name: 'subscribe deliveries', help: `usage: ripple subscribe deliveries <id> [--status ${deliveryStatuses.join('|')}] [--limit N]`,
  positionals: { min: 1 }, options: { status: { type: 'string' }, limit: { type: 'string' } },
}, args, async (a) => {
  const id = parseInteger(a.positionals[0]!, 'the subscription id');
  const status = a.string('status');
  if (status !== undefined && !deliveryStatuses.includes(status as WebhookDeliveryStatus)) throw new UsageError(`--status must be one of ${deliveryStatuses.join(', ')}, got '${status}'`);
  const limit = a.integer('limit') ?? 100;
  if (limit < 1 || limit > 1000) throw new UsageError(`--limit must be between 1 and 1000, got ${limit}`);
  const rows = await withDatabase(async ({ db }) => listDeliveries(db, await asOwner(db, id), id, { limit, status: status as WebhookDeliveryStatus | undefined }));
  if (rows.length === 0) {
    console.log(`no ${status ?? ''}${status ? ' ' : ''}deliveries for subscription ${id}`);
    return;
  }
  console.log(formatTable(['event', 'type', 'status', 'attempts', 'response', 'when', 'error'], rows.map((d) => [
    d.eventId, d.eventType, d.status, d.attempts, d.responseCode,
    (d.deliveredAt ?? d.nextAttemptAt ?? d.createdAt).toISOString(), d.error ?? '',
  ])));
});

export const run = (args: string[]) => dispatch('subscribe', help, { add, list, remove, deliveries }, args);
