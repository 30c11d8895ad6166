/** Builders and the build queue: workers with their capacity, running and queued builds, recent outcomes. */
import { api } from '../api.ts';
import { h } from '../dom.ts';
import type { Page } from '../page.ts';
import type { Build, Builder } from '../types.ts';
import { duration, packageLink, pageHeader, section, table, time } from '../ui.ts';

const buildColumns = (extra: 'queue' | 'done') => [
  { label: 'Build', cell: (b: Build) => `#${b.id}` },
  { label: 'Package', cell: (b: Build) => packageLink(b.collection, b.package) },
  { label: 'Collection', cell: (b: Build) => b.collection },
  ...(extra === 'queue'
    ? [
      { label: 'State', cell: (b: Build) => h('span', { class: `build build-${b.state}` }, b.state) },
      { label: 'Priority', cell: (b: Build) => String(b.priority), numeric: true },
      { label: 'Reason', cell: (b: Build) => b.reason.kind },
      { label: 'Worker', cell: (b: Build) => b.worker ?? '—' },
      { label: 'Queued', cell: (b: Build) => time(b.queuedAt) },
      { label: 'Started', cell: (b: Build) => time(b.startedAt) },
    ]
    : [
      { label: 'Outcome', cell: (b: Build) => h('span', { class: `outcome outcome-${b.outcome ?? b.state}` }, b.outcome ?? b.state) },
      { label: 'Finished', cell: (b: Build) => time(b.finishedAt) },
      { label: 'Duration', cell: (b: Build) => duration(b.durationMs), numeric: true },
      { label: 'Log', cell: (b: Build) => h('a', { href: b.logUrl, target: '_blank', rel: 'noopener' }, 'log', h('span', { class: 'sr-only' }, ` of build ${b.id}`)) },
    ]),
];

export const queuePage: Page = {
  live: () => [{ types: ['build.*'] }],
  async load() {
    const [builders, queue, recent] = await Promise.all([
      api<Builder[]>('/api/builders'),
      api<{ cap: number; active: number; builds: Build[] }>('/api/queue'),
      api<Build[]>('/api/builds?limit=25'),
    ]);
    const capacity = builders.filter((b) => !b.draining).reduce((sum, b) => sum + b.capacity, 0);
    const running = queue.builds.filter((b) => b.state === 'running');
    const queued = queue.builds.filter((b) => b.state === 'queued');
    const finished = recent.filter((b) => b.finishedAt);
    return {
      title: 'Builders and queue',
      content: [
        pageHeader('Builders and queue'),
        h('dl', { class: 'facts big' },
          h('div', {}, h('dt', {}, 'Running'), h('dd', { id: 'running-count' }, String(running.length))),
          h('div', {}, h('dt', {}, 'Queued'), h('dd', { id: 'queued-count' }, String(queued.length))),
          h('div', {}, h('dt', {}, 'Global cap'), h('dd', {}, `${queue.active} / ${queue.cap} `,
            h('meter', { min: 0, max: queue.cap, value: queue.active, 'aria-label': `${queue.active} of ${queue.cap} concurrent builds in use` }))),
          h('div', {}, h('dt', {}, 'Builder slots'), h('dd', {}, String(capacity)))),
        section(`Builders (${builders.length})`, table('Builders', [
          { label: 'Name', cell: (b) => h('strong', {}, b.name) },
          { label: 'Backend', cell: (b) => b.backend },
          { label: 'Arches', cell: (b) => b.arches.join(', ') },
          { label: 'Load', cell: (b) => [h('meter', { min: 0, max: b.capacity, value: b.running, 'aria-hidden': 'true' }), ` ${b.running} / ${b.capacity}`] },
          { label: 'Status', cell: (b) => (b.draining ? h('span', { class: 'tag' }, 'draining') : 'accepting') },
          { label: 'Last seen', cell: (b) => time(b.lastSeen) },
        ], builders, 'No builder has registered. Start one with ripple serve --roles builder.', { captionHidden: true, id: 'builders-table' })),
        section(`Running (${running.length})`, table('Running builds', buildColumns('queue'), running, 'Nothing is building.', { captionHidden: true, id: 'running-table' })),
        section(`Queued (${queued.length})`, h('p', { class: 'muted' }, 'In the order builders claim them.'),
          table('Queued builds', buildColumns('queue'), queued, 'The queue is empty.', { captionHidden: true, id: 'queued-table' })),
        section('Recently finished', table('Recently finished builds', buildColumns('done'), finished, 'No build has finished yet.', { captionHidden: true, id: 'finished-table' })),
      ],
    };
  },
};
