/** Collections overview: per collection its states, their history with the queue, its snapshot, and what is wrong. */
import { api, path, query } from '../api.ts';
import { chartLegend, historyChart, stateBar } from '../charts.ts';
import { h } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import { can } from '../session.ts';
import { packageStates, type Collection, type History, type Snapshot } from '../types.ts';
import { actionButton, alertBanner, pageHeader, time } from '../ui.ts';

const packagesHref = (collection: string, state?: string) => `/packages${query({ collection, state })}`;

/** The chart spans the collection's life (a little more), at most a week, so a new collection's history is not a sliver. */
const chartHours = (createdAt: string) => Number(Math.min(168, Math.max(0.03, (1.1 * (Date.now() - new Date(createdAt).getTime())) / 3600_000)).toFixed(3));
const spanText = (hours: number) => (hours < 1 ? `${Math.round(hours * 60)} minutes` : hours < 48 ? `${Math.round(hours)} hours` : `${Math.round(hours / 24)} days`);

async function collectionCard(name: string, createdAt: string, ctx: PageContext): Promise<HTMLElement> {
  const hours = chartHours(createdAt);
  const [collection, history, snapshots] = await Promise.all([
    api<Collection>(path('api', 'collections', name)),
    api<History>(`${path('api', 'collections', name, 'history')}${query({ hours, points: 84 })}`),
    api<Snapshot[]>(`${path('api', 'collections', name, 'snapshots')}?limit=5`),
  ]);
  const counts = collection.packageCounts ?? {};
  const total = packageStates.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const current = snapshots.find((s) => s.state === 'active');
  const failed = snapshots.find((s) => s.state === 'failed' && (!current || s.sequence > current.sequence));
  const headingId = `c-${name}`;
  const adminActions = can('admin') ? h('div', { class: 'actions' },
    actionButton(collection.paused ? 'Resume' : 'Pause', async () => {
      await api(path('api', 'collections', name), { method: 'PATCH', body: { paused: !collection.paused } });
      return collection.paused ? `Resumed ${name}.` : `Paused ${name}.`;
    }, ctx.refresh, { kind: collection.paused ? 'primary' : 'plain', id: `pause-${name}` }),
    actionButton('Regenerate now', async () => {
      await api(path('api', 'collections', name, 'regenerate'), { method: 'POST' });
      return 'Regeneration requested; the watcher picks it up within seconds.';
    }, ctx.refresh, { id: `regenerate-${name}` })) : null;
  return h('article', { class: `panel collection${collection.paused ? ' is-paused' : ''}`, 'aria-labelledby': headingId },
    h('div', { class: 'card-head' },
      h('h2', { id: headingId }, h('a', { href: packagesHref(name) }, name), h('span', { class: 'muted' }, ` ${collection.displayName}`)),
      h('span', { class: 'tag' }, `${collection.format} · ${collection.architectures.join(', ')}`),
      collection.paused ? h('span', { class: 'state state-paused' }, 'paused') : null,
      adminActions),
    collection.paused ? alertBanner('warning', h('strong', {}, 'Paused: '), 'no builds are scheduled for this collection until it is resumed.') : null,
    collection.state === 'unresolved' || collection.state === 'error'
      ? alertBanner('danger', h('strong', {}, collection.state === 'unresolved' ? 'Base buildroot broken: ' : 'Ingest failed: '),
        collection.lastError ?? 'the base buildroot does not resolve; every package is unresolved until it does.',
        collection.lastErrorAt ? h('span', {}, ' (', time(collection.lastErrorAt), ')') : null)
      : null,
    failed ? alertBanner('danger', h('strong', {}, `Snapshot ${failed.sequence} failed: `), failed.error ?? 'unknown error', '; the previous snapshot stays active.') : null,
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Snapshot'), h('dd', {}, current ? `#${current.sequence}` : 'none yet')),
      h('div', {}, h('dt', {}, 'Ingested'), h('dd', {}, current ? time(current.activatedAt ?? current.createdAt) : '—')),
      h('div', {}, h('dt', {}, 'Binaries'), h('dd', {}, current?.binaries?.toLocaleString('en') ?? '—')),
      h('div', {}, h('dt', {}, 'Packages'), h('dd', {}, total.toLocaleString('en'))),
      collection.regenerateRequestedAt ? h('div', {}, h('dt', {}, 'Regeneration'), h('dd', {}, 'requested ', time(collection.regenerateRequestedAt))) : null),
    stateBar(counts, (s) => packagesHref(name, s)),
    h('ul', { class: 'counts', 'aria-label': `Packages of ${name} by state` }, packageStates.map((s) => h('li', {},
      h('a', { href: packagesHref(name, s), class: `count count-${s}` }, h('span', { class: 'n' }, String(counts[s] ?? 0)), ` ${s}`)))),
    h('figure', { class: 'chart-figure' }, historyChart(name, history),
      h('figcaption', {}, `Packages by state (stacked) and build queue, last ${spanText(hours)}`, chartLegend(packageStates.filter((s) => history.points.some((p) => p.states[s]))))));
}

export const overviewPage: Page = {
  live: () => [{ types: ['snapshot.*', 'collection.*', 'build.queued', 'build.started', 'build.finished', 'package.change'] }],
  async load(ctx) {
    const collections = await api<Collection[]>('/api/collections');
    const cards = await Promise.all(collections.map((c) => collectionCard(c.name, c.createdAt, ctx)));
    return {
      title: 'Collections',
      content: [
        pageHeader('Collections', h('p', { class: 'lede' }, `${collections.length} collection${collections.length === 1 ? '' : 's'}; counts and charts update live.`)),
        cards.length ? h('div', { class: 'cards' }, cards) : h('p', { class: 'empty' }, 'No collections yet. Create one with ripple collection create or POST /api/collections.'),
      ],
    };
  },
};
