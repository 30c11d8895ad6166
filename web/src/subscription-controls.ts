/** Subscribe/unsubscribe for the logged-in user, to a group (namespace/name) or a package (by name, every collection). */
import { api, path } from './api.ts';
import { h } from './dom.ts';
import type { PageContext } from './page.ts';
import type { Subscription } from './types.ts';
import { actionButton } from './ui.ts';

export type SubscriptionTarget = { group: string } | { package: string };

/** `subscriptions` is null when nobody is logged in. */
export function subscriptionControls(target: SubscriptionTarget, subscriptions: Subscription[] | null, ctx: PageContext): HTMLElement {
  const [kind, name] = 'group' in target ? ['group', target.group] as const : ['package', target.package] as const;
  if (!subscriptions) {
    return h('p', { class: 'muted', id: 'subscription' }, h('a', { href: '/login' }, 'Log in'), ` to subscribe to this ${kind} (webhooks and the websocket "mine" feed follow subscriptions).`);
  }
  const mine = subscriptions.filter((s) => s[kind] === name);
  return h('div', { class: 'subscription', id: 'subscription' },
    mine.length
      ? [h('p', {}, `You are subscribed to ${name}${mine[0]!.types.length ? ` (${mine[0]!.types.join(', ')})` : ' (every event type)'}.`),
        actionButton('Unsubscribe', async () => {
          for (const s of mine) await api(path('api', 'subscriptions', s.id), { method: 'DELETE' });
          return `Unsubscribed from ${name}.`;
        }, ctx.refresh, { id: 'unsubscribe' })]
      : [h('p', {}, kind === 'group'
        ? `Subscribe to hear about every state change, build and decision of the ${name} packages.`
        : `Subscribe to hear about every state change, build and decision of ${name}, in every collection.`),
      actionButton('Subscribe', async () => {
        await api('/api/subscriptions', { method: 'POST', body: target });
        return `Subscribed to ${name}.`;
      }, ctx.refresh, { kind: 'primary', id: 'subscribe' })]);
}
