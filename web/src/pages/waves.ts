/**
 * Rebuild waves: plan one (with its cost estimate before anything is queued), then start, pause,
 * resume or cancel it; the detail page draws the waves as a graph, batch by batch, each package
 * coloured by its progress (built, building, queued, failed, blocked), live from wave.* events.
 */
import { api, path, query } from '../api.ts';
import { h, svg } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import { can } from '../session.ts';
import type { Collection } from '../types.ts';
import { actionButton, duration, field, packageHref, packageLink, pageHeader, section, select, table, time, errorText } from '../ui.ts';

type NodeState = 'pending' | 'queued' | 'building' | 'built' | 'failed' | 'blocked' | 'canceled';
const nodeStates: NodeState[] = ['built', 'building', 'queued', 'pending', 'failed', 'blocked', 'canceled'];

interface WaveSummary {
  id: number;
  collection: string;
  state: 'planned' | 'running' | 'paused' | 'finished' | 'canceled';
  target: { kind: string; value: string | string[] };
  description: string | null;
  snapshot: number;
  createdBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  currentBatch: number | null;
  batchCount: number;
  estimate: { builds: number; buildSeconds: number; expectedSeconds: number; fromHistory: number; fallback: number; fallbackSeconds: number };
  counts: Record<NodeState, number>;
  cycles: { id: number; batch: number; packages: string[] }[];
  waitingFor: string | null;
}

interface WaveNode { package: string; batch: number; cycle: number | null; state: NodeState; buildId: number | null; expectedSeconds: number; estimate: string; reason: string | null }
interface WaveDetail extends WaveSummary {
  batches: { index: number; state: string; expectedSeconds: number; counts: Record<NodeState, number> }[];
  nodes: WaveNode[];
  edges: { from: string; to: string }[];
  edgeCount: number;
}

const seconds = (s: number) => duration(s * 1000);
const targetText = (t: WaveSummary['target']) => `${t.kind} ${Array.isArray(t.value) ? t.value.join(', ') : t.value}`;

function progressBar(counts: Record<NodeState, number>): HTMLElement {
  const total = nodeStates.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const done = (counts.built ?? 0) + (counts.failed ?? 0) + (counts.blocked ?? 0) + (counts.canceled ?? 0);
  return h('div', {},
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done, 'aria-label': 'wave progress' },
      (['built', 'building', 'failed', 'blocked'] as const).map((s) => (counts[s] ? h('span', { class: `p-${s}`, style: `width:${(100 * counts[s]) / Math.max(1, total)}%` }) : null)),
      counts.queued ? h('span', { class: 'p-building', style: `width:${(100 * counts.queued) / Math.max(1, total)}%;opacity:.45` }) : null),
    h('p', { class: 'muted', id: 'wave-counts' }, nodeStates.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(' · ') || 'no packages'));
}

function estimateText(w: WaveSummary): HTMLElement {
  const e = w.estimate;
  return h('p', { id: 'wave-estimate' }, h('strong', {}, `${e.builds} build${e.builds === 1 ? '' : 's'} in ${w.batchCount} batch${w.batchCount === 1 ? '' : 'es'}`),
    `: about ${seconds(e.expectedSeconds)} wall-clock, ${seconds(e.buildSeconds)} of build time`,
    e.fallback ? h('span', { class: 'muted' }, ` (${e.fromHistory} from their build history, ${e.fallback} estimated at ${seconds(e.fallbackSeconds)} without one)`) : null);
}

function waveActions(w: WaveSummary, ctx: PageContext): HTMLElement | null {
  if (!can('maintainer')) return null;
  const run = (verb: 'start' | 'pause' | 'resume' | 'cancel', label: string, kind: 'primary' | 'danger' | 'plain' = 'plain') =>
    actionButton(label, async () => {
      await api(`${path('api', 'waves', w.id)}/${verb}`, { method: 'POST' });
      return `${label}: done.`;
    }, ctx.refresh, { kind, id: `wave-${verb}` });
  return h('div', { class: 'actions inline-form' },
    w.state === 'planned' ? run('start', 'Start wave', 'primary') : null,
    w.state === 'running' ? run('pause', 'Pause') : null,
    w.state === 'paused' ? run('resume', 'Resume', 'primary') : null,
    ['planned', 'running', 'paused'].includes(w.state) ? run('cancel', 'Cancel wave', 'danger') : null);
}

/** Batches as columns, packages as boxes, build dependencies as curves from left to right. */
function waveGraph(w: WaveDetail): SVGElement {
  const perBatch = 40;
  const [nodeW, nodeH, gapX, gapY, top] = [168, 38, 56, 10, 26];
  const columns = w.batches.map((b) => w.nodes.filter((n) => n.batch === b.index).sort((a, b2) => a.package.localeCompare(b2.package)));
  const place = new Map<string, { x: number; y: number }>();
  columns.forEach((nodes, i) => nodes.slice(0, perBatch).forEach((n, j) => place.set(n.package, { x: 8 + i * (nodeW + gapX), y: top + j * (nodeH + gapY) })));
  const rows = Math.max(1, ...columns.map((c) => Math.min(c.length, perBatch) + (c.length > perBatch ? 1 : 0)));
  const width = 16 + columns.length * (nodeW + gapX) - gapX;
  const height = top + rows * (nodeH + gapY);
  const edges = w.edges.flatMap((e) => {
    const a = place.get(e.from);
    const b = place.get(e.to);
    if (!a || !b || a.x === b.x) return [];
    const [x1, y1, x2, y2] = [a.x + nodeW, a.y + nodeH / 2, b.x, b.y + nodeH / 2];
    return [svg('path', { class: 'edge', d: `M${x1},${y1} C${x1 + gapX / 2},${y1} ${x2 - gapX / 2},${y2} ${x2},${y2}` })];
  });
  const nodes = columns.flatMap((column, i) => [
    svg('text', { class: 'wave-label', x: 8 + i * (nodeW + gapX), y: 14 }, `batch ${i}${w.batches[i]?.state ? ` · ${w.batches[i]!.state}` : ''}`),
    ...column.slice(0, perBatch).map((n) => {
      const { x, y } = place.get(n.package)!;
      const label = `${n.package}: ${n.state}${n.cycle !== null ? ', in a dependency cycle' : ''}${n.reason ? ` (${n.reason})` : ''}`;
      return svg('a', { href: packageHref(w.collection, n.package), class: `node node-${n.state}`, 'aria-label': label },
        svg('title', {}, label),
        svg('rect', { x, y, width: nodeW, height: nodeH, rx: 6 }),
        svg('text', { x: x + 8, y: y + 15 }, n.package.length > 22 ? `${n.package.slice(0, 21)}…` : n.package),
        svg('text', { x: x + 8, y: y + 30, class: 'sub' }, `${n.state}${n.buildId ? ` · #${n.buildId}` : ''}${n.cycle !== null ? ' · cycle' : ''}`));
    }),
    column.length > perBatch ? svg('text', { class: 'sub', x: 8 + i * (nodeW + gapX), y: top + perBatch * (nodeH + gapY) + 14 }, `+${column.length - perBatch} more (table below)`) : null,
  ]);
  return svg('svg', { class: 'wave-graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': `Wave ${w.id} build order: ${w.batches.length} batches` }, edges, nodes);
}

function planForm(ctx: PageContext, collections: Collection[]): HTMLFormElement {
  const collection = select('collection', collections.map((c): [string, string] => [c.name, c.name]), ctx.query.get('collection') ?? collections[0]?.name);
  const kind = select('kind', [['affected', 'everything affected by'], ['group', 'a group'], ['packages', 'these packages']], 'affected');
  const value = h('input', { name: 'value', required: true, placeholder: 'libbar, or global/libbar-stack, or foo bar' });
  const description = h('input', { name: 'description', placeholder: 'optional, e.g. rebuild for libbar 2.0' });
  const status = h('span', { class: 'action-status', role: 'status' });
  const form = h('form', { class: 'filters', 'aria-label': 'Plan a rebuild wave' },
    field('Collection', collection), field('Rebuild', kind), field('What', value), field('Description', description),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Plan wave (nothing is queued yet)'), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = value.value.trim();
    const body: Record<string, unknown> = { collection: collection.value, ...(description.value.trim() ? { description: description.value.trim() } : {}) };
    body[kind.value] = kind.value === 'packages' ? v.split(/[\s,]+/).filter(Boolean) : v;
    try {
      const wave = await api<WaveSummary>('/api/waves', { method: 'POST', body });
      ctx.navigate(`/waves/${wave.id}`);
    } catch (error) {
      status.textContent = errorText(error);
      status.className = 'action-status error';
    }
  });
  return form;
}

export const wavesPage: Page = {
  live: () => [{ types: ['wave.*'] }],
  async load(ctx) {
    const [collections, waves] = await Promise.all([api<Collection[]>('/api/collections'), api<WaveSummary[]>(`/api/waves${query({ limit: 50 })}`)]);
    return {
      title: 'Rebuild waves',
      content: [
        pageHeader('Rebuild waves', h('p', { class: 'lede' }, 'Rebuild everything affected by a change, in build-dependency order, batch by batch.')),
        can('maintainer') ? section('Plan a wave', planForm(ctx, collections)) : h('p', { class: 'muted' }, h('a', { href: '/login' }, 'Log in'), ' with a maintainer token to plan and run waves.'),
        section('Waves', table('Rebuild waves', [
          { label: 'Wave', cell: (w) => h('a', { href: `/waves/${w.id}` }, `#${w.id}`) },
          { label: 'Collection', cell: (w) => w.collection },
          { label: 'Target', cell: (w) => targetText(w.target) },
          { label: 'State', cell: (w) => h('span', { class: `tag wave-${w.state}` }, w.state) },
          { label: 'Progress', cell: (w) => progressBar(w.counts) },
          { label: 'Estimate', cell: (w) => seconds(w.estimate.expectedSeconds) },
          { label: 'Created', cell: (w) => [time(w.createdAt), ` by ${w.createdBy}`] },
        ], waves, 'No wave yet.', { captionHidden: true, id: 'waves-table' })),
      ],
    };
  },
};

export const wavePage: Page = {
  live: () => [{ types: ['wave.*'] }],
  async load(ctx) {
    const w = await api<WaveDetail>(path('api', 'waves', ctx.params[0]!));
    return {
      title: `Wave ${w.id}`,
      content: [
        pageHeader(`Wave #${w.id}`, h('span', { class: `tag wave-${w.state}`, id: 'wave-state' }, w.state),
          h('p', { class: 'lede' }, `${targetText(w.target)} in ${w.collection} (snapshot ${w.snapshot})${w.description ? ` — ${w.description}` : ''}; planned `, time(w.createdAt), ` by ${w.createdBy}`)),
        section('Progress', estimateText(w), progressBar(w.counts),
          w.waitingFor ? h('p', { class: 'banner banner-warning' }, w.waitingFor) : null,
          w.state === 'planned' ? h('p', { class: 'muted' }, 'Nothing is queued until the wave is started.') : null,
          waveActions(w, ctx)),
        section('Build order', h('div', { class: 'table-wrap' }, waveGraph(w)),
          w.edgeCount > w.edges.length ? h('p', { class: 'muted' }, `${w.edgeCount} build-dependency edges: too many to draw.`) : null,
          w.cycles.length ? h('p', {}, `Dependency cycles built as one unit: ${w.cycles.map((c) => `${c.packages.join(' ⇄ ')} (batch ${c.batch})`).join('; ')}.`) : null),
        section('Packages', table('Packages of the wave', [
          { label: 'Package', cell: (n) => packageLink(w.collection, n.package) },
          { label: 'Batch', cell: (n) => String(n.batch), numeric: true },
          { label: 'State', cell: (n) => h('span', { class: `tag node-${n.state}` }, n.state) },
          { label: 'Build', cell: (n) => (n.buildId ? `#${n.buildId}` : '—') },
          { label: 'Expected', cell: (n) => `${seconds(n.expectedSeconds)} (${n.estimate})` },
          { label: 'Why', cell: (n) => n.reason ?? '' },
        ], [...w.nodes].sort((a, b) => a.batch - b.batch || a.package.localeCompare(b.package)), 'No package.', { captionHidden: true, id: 'wave-nodes' })),
      ],
    };
  },
};
