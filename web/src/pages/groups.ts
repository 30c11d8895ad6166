/** Package groups: the list, and one group with its members' states and the caller's subscription. */
import { api, path } from '../api.ts';
import { stateBar } from '../charts.ts';
import { h } from '../dom.ts';
import type { Page } from '../page.ts';
import { currentUser } from '../session.ts';
import { packageStates, type Collection, type Group, type GroupDetail, type PackageState, type Subscription } from '../types.ts';
import { subscriptionControls } from '../subscription-controls.ts';
import { groupHref, packageLink, pageHeader, section, stateBadge, table, time } from '../ui.ts';

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
        section('Subscription', subscriptionControls({ group: groupRef }, subscriptions, ctx)),
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
