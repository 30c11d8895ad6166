/** Package groups: the list, and one group with its members' states and the caller's subscription. */
import { api, path } from '../api.ts';
import { stateBar } from '../charts.ts';
import { h } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import { currentUser } from '../session.ts';
import { packageStates, type Collection, type Group, type GroupDetail, type PackageState, type Subscription } from '../types.ts';
import { actionButton, groupHref, packageLink, pageHeader, section, stateBadge, table, time } from '../ui.ts';

const label = (g: { namespace: string | null; name: string }) => `${g.namespace ?? 'global'}/${g.name}`;

export const groupListPage: Page = {
  live: () => [{ types: ['group.change'] }],
  async load() {
    const groups = await api<Group[]>('/api/groups');
    return {
      title: 'Groups',
      content: [
        pageHeader('Groups', h('p', { class: 'lede' }, 'Package groups: global ones and those maintainers own. Open one to see its members and subscribe.')),
        table('Package groups', [
          { label: 'Group', cell: (g) => h('a', { href: groupHref(label(g)) }, label(g)) },
          { label: 'Description', cell: (g) => g.description },
        ], groups, 'No groups yet.', { captionHidden: true }),
      ],
    };
  },
};

function subscriptionControls(groupRef: string, subscriptions: Subscription[] | null, ctx: PageContext): HTMLElement {
  if (!subscriptions) {
    return h('p', { class: 'muted', id: 'subscription' }, h('a', { href: '/login' }, 'Log in'), ' to subscribe to this group (webhooks and the websocket "mine" feed follow subscriptions).');
  }
  const mine = subscriptions.filter((s) => s.group === groupRef);
  return h('div', { class: 'subscription', id: 'subscription' },
    mine.length
      ? [h('p', {}, `You are subscribed to ${groupRef}${mine[0]!.types.length ? ` (${mine[0]!.types.join(', ')})` : ' (every event type)'}.`),
        actionButton('Unsubscribe', async () => {
          for (const s of mine) await api(path('api', 'subscriptions', s.id), { method: 'DELETE' });
          return `Unsubscribed from ${groupRef}.`;
        }, ctx.refresh, { id: 'unsubscribe' })]
      : [h('p', {}, `Subscribe to hear about every state change, build and decision of the ${groupRef} packages.`),
        actionButton('Subscribe', async () => {
          await api('/api/subscriptions', { method: 'POST', body: { group: groupRef } });
          return `Subscribed to ${groupRef}.`;
        }, ctx.refresh, { kind: 'primary', id: 'subscribe' })]);
}

export const groupPage: Page = {
  live: (ctx) => [{ group: `${ctx.params[0]}/${ctx.params[1]}` }],
  async load(ctx) {
    const [ns, name] = ctx.params as [string, string];
    const groupRef = `${ns}/${name}`;
    const [group, collections, subscriptions] = await Promise.all([
      api<GroupDetail>(path('api', 'groups', ns, name)),
      api<Collection[]>('/api/collections'),
      currentUser() ? api<Subscription[]>('/api/subscriptions') : Promise.resolve(null),
    ]);
    const names = collections.map((c) => c.name).filter((c) => group.packages.some((p) => p.states[c]));
    const counts: Partial<Record<PackageState, number>> = {};
    for (const p of group.packages) for (const s of Object.values(p.states)) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return {
      title: `Group ${groupRef}`,
      content: [
        pageHeader(['Group ', groupRef], h('p', { class: 'lede' }, group.description || 'No description.',
          group.maintainers.length ? ` Maintainers: ${group.maintainers.join(', ')}.` : '')),
        section('Subscription', subscriptionControls(groupRef, subscriptions, ctx)),
        section(`Members (${group.members.length})`,
          stateBar(counts, (s) => `/packages?group=${encodeURIComponent(groupRef)}&state=${s}`),
          h('ul', { class: 'counts' }, packageStates.filter((s) => counts[s]).map((s) => h('li', {},
            h('a', { class: `count count-${s}`, href: `/packages?group=${encodeURIComponent(groupRef)}&state=${s}` }, h('span', { class: 'n' }, String(counts[s])), ` ${s}`)))),
          table('Members and their states', [
            { label: 'Package', cell: (p) => h('strong', {}, p.name) },
            ...names.map((c) => ({
              label: c,
              cell: (p: GroupDetail['packages'][number]) => {
                const s = p.states[c];
                return s ? [packageLink(c, p.name, stateBadge(s.state)), ' ', h('small', { class: 'muted' }, time(s.since))] : h('span', { class: 'muted' }, '—');
              },
            })),
          ], group.packages, 'This group has no members.', { id: 'members-table' })),
      ],
    };
  },
};
