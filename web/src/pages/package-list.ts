/**
 * Package list with filters (collection, state, group), wildcard search and sorting. With several
 * collections in view, packages are rows and collections columns (Koschei's multi-collection view).
 */
import { api, query } from '../api.ts';
import { h } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import { packageStates, type Collection, type Group, type PackageSummary } from '../types.ts';
import { field, packageLink, pageHeader, select, stateBadge, table, time } from '../ui.ts';

const pageSize = 100;
const sorts: [string, string][] = [['name', 'name'], ['priority', 'priority (highest first)'], ['state_since', 'changed since (newest first)']];
const groupLabel = (g: Group) => `${g.namespace ?? 'global'}/${g.name}`;

function filterForm(ctx: PageContext, collections: Collection[], groups: Group[]): HTMLFormElement {
  const q = ctx.query;
  const name = h('input', { type: 'search', name: 'name', value: q.get('name') ?? '', placeholder: 'e.g. python3-*', autocomplete: 'off' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter packages' },
    field('Search (* = wildcard)', name),
    field('Collection', select('collection', [['', 'all collections'], ...collections.map((c): [string, string] => [c.name, c.name])], q.get('collection'))),
    field('State', select('state', [['', 'any state'], ...packageStates.map((s): [string, string] => [s, s])], q.get('state'))),
    field('Group', select('group', [['', 'any group'], ...groups.map((g): [string, string] => [groupLabel(g), groupLabel(g)])], q.get('group'))),
    field('Sort by', select('sort', sorts, q.get('sort') ?? 'name')),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    ctx.navigate(`/packages${query(Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v)]).filter(([k, v]) => v !== '' && !(k === 'sort' && v === 'name'))))}`);
  });
  // Choosing from a list applies at once; typing a search waits for Enter or Apply.
  for (const control of form.querySelectorAll('select')) control.addEventListener('change', () => form.requestSubmit());
  return form;
}

const priority = (p: PackageSummary) => p.manualPriority + p.staticPriority;
const flags = (p: PackageSummary) => [
  p.blocked ? h('span', { class: 'tag' }, 'blocked') : null,
  !p.tracked ? h('span', { class: 'tag' }, 'untracked') : null,
  p.snoozeUntil && new Date(p.snoozeUntil) > new Date() ? h('span', { class: 'tag' }, 'snoozed') : null,
];

function multiCollection(items: PackageSummary[], collections: string[]): HTMLElement {
  const byName = new Map<string, Map<string, PackageSummary>>();
  for (const p of items) {
    if (!byName.has(p.name)) byName.set(p.name, new Map());
    byName.get(p.name)!.set(p.collection, p);
  }
  const rows = [...byName.entries()];
  return table('Packages by collection', [
    { label: 'Package', cell: ([name]) => h('strong', {}, name) },
    ...collections.map((c) => ({
      label: c,
      cell: ([, states]: [string, Map<string, PackageSummary>]) => {
        const p = states.get(c);
        return p ? packageLink(c, p.name, stateBadge(p.state)) : h('span', { class: 'muted' }, '—');
      },
    })),
  ], rows, 'No package matches these filters.', { id: 'package-table' });
}

function singleList(items: PackageSummary[]): HTMLElement {
  return table('Packages', [
    { label: 'Package', cell: (p) => packageLink(p.collection, p.name) },
    { label: 'Collection', cell: (p) => p.collection },
    { label: 'State', cell: (p) => stateBadge(p.state) },
    { label: 'Since', cell: (p) => time(p.stateSince) },
    { label: 'Priority', cell: (p) => String(priority(p)), numeric: true },
    { label: 'Flags', cell: flags },
  ], items, 'No package matches these filters.', { id: 'package-table' });
}

export const packageListPage: Page = {
  live(ctx) {
    const collection = ctx.query.get('collection') ?? undefined;
    const group = ctx.query.get('group') ?? undefined;
    return [{ types: ['package.state.change', 'package.change'], collection, group }];
  },
  async load(ctx) {
    const q = ctx.query;
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    const [collections, groups, list] = await Promise.all([
      api<Collection[]>('/api/collections'),
      api<Group[]>('/api/groups'),
      api<{ total: number; items: PackageSummary[] }>(`/api/packages${query({
        collection: q.get('collection'), state: q.get('state'), group: q.get('group'), name: q.get('name'), sort: q.get('sort'), page, limit: pageSize,
      })}`),
    ]);
    const shown = q.get('collection') ? [q.get('collection')!] : collections.map((c) => c.name);
    const multi = shown.length > 1 && (q.get('sort') ?? 'name') === 'name';
    const pageLink = (n: number, label: string) => {
      const next = new URLSearchParams(q);
      next.set('page', String(n));
      return h('a', { href: `/packages?${next}`, class: 'btn btn-plain' }, label);
    };
    const last = Math.max(1, Math.ceil(list.total / pageSize));
    return {
      title: 'Packages',
      content: [
        pageHeader('Packages', h('p', { class: 'lede', id: 'package-total' }, multi ? `${list.total.toLocaleString('en')} match${list.total === 1 ? '' : 'es'} across ${shown.length} collections` : `${list.total.toLocaleString('en')} package${list.total === 1 ? '' : 's'}`)),
        filterForm(ctx, collections, groups),
        multi ? multiCollection(list.items, shown) : singleList(list.items),
        last > 1 ? h('nav', { class: 'pager', 'aria-label': 'Pages' },
          page > 1 ? pageLink(page - 1, '← Previous') : null, h('span', {}, `Page ${page} of ${last}`), page < last ? pageLink(page + 1, 'Next →') : null) : null,
      ],
    };
  },
};
