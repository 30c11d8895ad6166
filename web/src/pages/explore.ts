/** "Affected by" (which packages saw a dependency move, and what happened next) and reverse build dependencies of a binary. */
import { api, path, query } from '../api.ts';
import { h } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import type { Binary, Collection, PackageState } from '../types.ts';
import { field, packageLink, pageHeader, section, select, stateBadge, table, time } from '../ui.ts';

interface Affected { package: string; snapshotSequence: number; kind: string; distance: number | null; previous: Binary | null; current: Binary | null; next: { state: PackageState; at: string } | null }
interface Reverse { package: string; distance: number | null; base: boolean; binary: Binary }

function form(ctx: PageContext, collections: Collection[], kind: 'affected' | 'reverse'): HTMLFormElement {
  const q = ctx.query;
  const collection = select('collection', collections.map((c): [string, string] => [c.name, c.name]), q.get('collection') ?? collections[0]?.name);
  const inputs = kind === 'affected'
    ? [field('Collection', collection), field('Dependency (binary name)', h('input', { name: 'dependency', required: true, value: q.get('dependency') ?? '', placeholder: 'libbar' })),
      field('From version', h('input', { name: 'from', value: q.get('from') ?? '', placeholder: 'optional, e.g. 1.9' })),
      field('To version', h('input', { name: 'to', value: q.get('to') ?? '', placeholder: 'optional, e.g. 2.0' }))]
    : [field('Collection', collection), field('Binary package', h('input', { name: 'binary', required: true, value: q.get('binary') ?? '', placeholder: 'libbar' }))];
  const element = h('form', { class: 'filters', 'aria-label': kind === 'affected' ? 'Affected by' : 'Reverse build dependencies' },
    inputs, h('button', { type: 'submit', class: 'btn btn-primary' }, kind === 'affected' ? 'Find affected packages' : 'Find reverse dependencies'));
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = Object.fromEntries([...new FormData(element).entries()].map(([k, v]) => [k, String(v).trim()]));
    ctx.navigate(`/explore${query(data)}`);
  });
  return element;
}

export const explorePage: Page = {
  // Both answers change only when a snapshot is ingested; "what happened next" when a state changes.
  live(ctx) {
    const collection = ctx.query.get('collection');
    return collection && (ctx.query.get('dependency') || ctx.query.get('binary'))
      ? [{ collection, types: ['snapshot.ingested', 'package.state.change'] }]
      : [];
  },
  async load(ctx) {
    const q = ctx.query;
    const collections = await api<Collection[]>('/api/collections');
    const collection = q.get('collection');
    const dependency = q.get('dependency');
    const binary = q.get('binary');
    const affected = collection && dependency
      ? await api<{ total: number; items: Affected[] }>(`${path('api', 'collections', collection, 'affected-by', dependency)}${query({ from: q.get('from'), to: q.get('to') })}`)
      : null;
    const reverse = collection && binary ? await api<{ total: number; items: Reverse[] }>(path('api', 'collections', collection, 'reverse-dependencies', binary)) : null;
    return {
      title: 'Affected by',
      content: [
        pageHeader('Affected by', h('p', { class: 'lede' }, 'Which packages saw a dependency change, and what happened to them next; and what builds with a binary today.')),
        section('Affected by a dependency change', form(ctx, collections, 'affected'),
          affected ? [h('p', { id: 'affected-total' }, `${affected.total} change${affected.total === 1 ? '' : 's'} of ${dependency} in ${collection}'s buildroots (packages that became unresolvable have no buildroot to change: see their root cause).`),
            table(`Packages affected by ${dependency}`, [
              { label: 'Package', cell: (a) => packageLink(collection!, a.package) },
              { label: 'Snapshot', cell: (a) => `#${a.snapshotSequence}`, numeric: true },
              { label: 'Change', cell: (a) => h('span', { class: `kind kind-${a.kind}` }, a.kind) },
              { label: 'From', cell: (a) => a.previous?.evr ?? '—' },
              { label: 'To', cell: (a) => a.current?.evr ?? '—' },
              { label: 'Distance', cell: (a) => (a.distance === null ? '—' : String(a.distance)), numeric: true },
              { label: 'Then', cell: (a) => (a.next ? [stateBadge(a.next.state), ' ', time(a.next.at)] : h('span', { class: 'muted' }, 'no state change')) },
            ], affected.items, 'No buildroot saw this dependency move.', { captionHidden: true, id: 'affected-table' })] : null),
        section('Reverse build dependencies', form(ctx, collections, 'reverse'),
          reverse ? [h('p', { id: 'reverse-total' }, `${reverse.total} package${reverse.total === 1 ? '' : 's'} build with ${binary} in ${collection}, nearest first.`),
            table(`Packages building with ${binary}`, [
              { label: 'Package', cell: (r) => packageLink(collection!, r.package) },
              { label: 'Distance', cell: (r) => (r.distance === null ? '—' : String(r.distance)), numeric: true },
              { label: 'Binary', cell: (r) => r.binary.nevra },
              { label: 'Base', cell: (r) => (r.base ? 'base' : '') },
            ], reverse.items, 'No current buildroot contains it.', { captionHidden: true, id: 'reverse-table' })] : null),
      ],
    };
  },
};
