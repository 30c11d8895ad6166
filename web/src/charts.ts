/**
 * Inline SVG charts. Each has role=img with a text summary as its accessible name, and the
 * colours of the state badges (CSS classes), so dark mode and high contrast follow the stylesheet.
 */
import { h, svg } from './dom.ts';
import type { History, PackageState } from './types.ts';
import { packageStates } from './types.ts';
import { absolute } from './ui.ts';

const width = 640;
const height = 180;
const pad = { left: 44, right: 44, top: 10, bottom: 24 };

const shortTime = (iso: string, spanHours: number) => {
  const d = new Date(iso);
  return spanHours > 48 ? d.toISOString().slice(5, 10) : d.toISOString().slice(11, spanHours < 0.5 ? 19 : 16);
};

/** Stacked areas of package counts by state, with the build queue (queued + running) as a line on the right axis. */
export function historyChart(collection: string, history: History): SVGElement {
  const points = history.points;
  const xs = (i: number) => pad.left + (i * (width - pad.left - pad.right)) / Math.max(1, points.length - 1);
  const totals = points.map((p) => packageStates.reduce((sum, s) => sum + p.states[s], 0));
  const maxTotal = Math.max(1, ...totals);
  const maxQueue = Math.max(1, ...points.map((p) => p.queued + p.running));
  const y = (value: number, max: number) => height - pad.bottom - (value * (height - pad.top - pad.bottom)) / max;
  const layers: SVGElement[] = [];
  const below = points.map(() => 0);
  for (const state of packageStates) {
    if (points.every((p) => p.states[state] === 0)) continue;
    const top = points.map((p, i) => below[i]! + p.states[state]);
    const d = `M${points.map((_, i) => `${xs(i).toFixed(1)},${y(top[i]!, maxTotal).toFixed(1)}`).join('L')}`
      + `L${points.map((_, i) => i).reverse().map((i) => `${xs(i).toFixed(1)},${y(below[i]!, maxTotal).toFixed(1)}`).join('L')}Z`;
    layers.push(svg('path', { d, class: `area area-${state}` }, svg('title', {}, state)));
    top.forEach((v, i) => (below[i] = v));
  }
  const queueLine = `M${points.map((p, i) => `${xs(i).toFixed(1)},${y(p.queued + p.running, maxQueue).toFixed(1)}`).join('L')}`;
  const last = points[points.length - 1];
  const spanHours = points.length > 1 ? (new Date(last!.at).getTime() - new Date(points[0]!.at).getTime()) / 3600_000 : 0;
  const summary = last
    ? `${collection}: ${packageStates.filter((s) => last.states[s]).map((s) => `${last.states[s]} ${s}`).join(', ') || 'no packages'}; `
      + `${last.queued} builds queued and ${last.running} running now.`
    : `${collection}: no history yet.`;
  const ticks = points.length > 1 ? [0, Math.floor((points.length - 1) / 2), points.length - 1] : [0];
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': summary },
    svg('title', {}, summary),
    svg('line', { x1: pad.left, x2: width - pad.right, y1: height - pad.bottom, y2: height - pad.bottom, class: 'axis' }),
    svg('text', { x: pad.left - 6, y: pad.top + 8, class: 'tick', 'text-anchor': 'end' }, String(maxTotal)),
    svg('text', { x: pad.left - 6, y: height - pad.bottom, class: 'tick', 'text-anchor': 'end' }, '0'),
    svg('text', { x: width - pad.right + 6, y: pad.top + 8, class: 'tick queue-tick' }, String(maxQueue)),
    svg('text', { x: width - pad.right + 6, y: height - pad.bottom, class: 'tick queue-tick' }, '0'),
    ticks.map((i) => svg('text', { x: xs(i), y: height - 6, class: 'tick', 'text-anchor': i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle' },
      svg('title', {}, absolute(points[i]!.at)), shortTime(points[i]!.at, spanHours))),
    layers,
    svg('path', { d: queueLine, class: 'queue-line' }, svg('title', {}, 'builds queued + running')));
}

export function chartLegend(states: PackageState[]): HTMLElement {
  return h('ul', { class: 'legend', 'aria-hidden': 'true' },
    states.map((s) => h('li', {}, h('span', { class: `swatch area-${s}` }), s)),
    h('li', {}, h('span', { class: 'swatch queue-swatch' }), 'queue (right axis)'));
}

/** One horizontal bar split by state, each part a link to those packages. */
export function stateBar(counts: Partial<Record<PackageState, number>>, href: (state: PackageState) => string): HTMLElement {
  const total = packageStates.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  return h('div', { class: 'state-bar', 'aria-hidden': 'true' }, packageStates.filter((s) => counts[s]).map((s) =>
    h('a', { href: href(s), class: `bar-part area-${s}`, style: `flex-grow:${counts[s]}`, tabindex: '-1', title: `${counts[s]} ${s} of ${total}` })));
}
