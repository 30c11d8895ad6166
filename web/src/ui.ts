/** Shared pieces of the pages: state badges, times, links, tables, sections and action buttons. */
import { ApiError, path } from './api.ts';
import { h, type Child } from './dom.ts';
import type { PackageState } from './types.ts';

export function stateBadge(state: PackageState | string, extra = ''): HTMLElement {
  return h('span', { class: `state state-${state} ${extra}`.trim() }, state);
}

const units: [number, string][] = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];

export function relative(iso: string | Date, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 5) return 'just now';
  const [size, unit] = units.find(([size]) => abs >= size) ?? units[units.length - 1]!;
  const n = Math.floor(abs / size);
  return seconds >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export const absolute = (iso: string | Date) => new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** A relative time with the exact one as tooltip and machine-readable datetime. */
export function time(iso: string | Date | null | undefined): Child {
  if (!iso) return '—';
  return h('time', { datetime: new Date(iso).toISOString(), title: absolute(iso) }, relative(iso));
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

export const packageHref = (collection: string, name: string) => `${path('packages', collection, name)}`;
export const packageLink = (collection: string, name: string, label: Child = name) => h('a', { href: packageHref(collection, name) }, label);
export const groupHref = (label: string) => `/groups/${label.split('/').map(encodeURIComponent).join('/')}`;

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** Right-aligned, tabular figures. */
  numeric?: boolean;
}

export function table<T>(caption: string, columns: Column<T>[], rows: T[], empty = 'Nothing to show.', options: { captionHidden?: boolean; id?: string } = {}): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', { id: options.id },
    h('caption', { class: options.captionHidden ? 'sr-only' : '' }, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : '' }, c.label)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: c.numeric ? 'num' : '' }, c.cell(row))))))));
}

/** A titled section; the heading is what screen-reader users jump between. */
export function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id, class: 'panel' }, h('h2', { id }, title), ...children);
}

export function errorText(error: unknown): string {
  return error instanceof ApiError ? `${error.message} (HTTP ${error.status})` : error instanceof Error ? error.message : String(error);
}

/**
 * Runs an action for a button: disabled while it works, the outcome or the API's error in `status`
 * (role=status, so screen readers hear it), then the page refreshes.
 */
async function runAction(button: HTMLButtonElement, status: HTMLElement, run: () => Promise<string>, refresh: () => void, after?: () => void): Promise<void> {
  button.disabled = true;
  status.textContent = 'Working…';
  status.className = 'action-status';
  try {
    status.textContent = await run();
    after?.();
    refresh();
  } catch (error) {
    status.textContent = errorText(error);
    status.className = 'action-status error';
  } finally {
    button.disabled = false;
  }
}

/** A button that runs `run` and reports next to itself (see runAction). */
export function actionButton(label: string, run: () => Promise<string>, refresh: () => void, options: { kind?: 'primary' | 'danger' | 'plain'; id?: string } = {}): HTMLElement {
  const status = h('span', { class: 'action-status', role: 'status' });
  const button = h('button', { type: 'button', class: `btn btn-${options.kind ?? 'plain'}`, id: options.id }, label);
  button.addEventListener('click', () => void runAction(button, status, run, refresh));
  return h('span', { class: 'action' }, button, status);
}

/** A small form whose submit runs an action (same reporting as actionButton). */
export function actionForm(label: string, fields: Child[], run: (form: HTMLFormElement) => Promise<string>, refresh: () => void, options: { kind?: 'primary' | 'danger' | 'plain'; class?: string } = {}): HTMLFormElement {
  const status = h('span', { class: 'action-status', role: 'status' });
  const button = h('button', { type: 'submit', class: `btn btn-${options.kind ?? 'plain'}` }, label);
  const form = h('form', { class: `inline-form ${options.class ?? ''}` }, fields, button, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(button, status, () => run(form), refresh, () => (document.activeElement as HTMLElement | null)?.blur());
  });
  return form;
}

/** A labelled input; the label is visible unless `hiddenLabel`. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, options: { hiddenLabel?: boolean; hint?: string } = {}): HTMLElement {
  const id = input.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Math.random().toString(36).slice(2, 7)}`;
  input.id = id;
  const hintId = options.hint ? `${id}-hint` : undefined;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' },
    h('label', { for: id, class: options.hiddenLabel ? 'sr-only' : '' }, label), input,
    options.hint ? h('small', { id: hintId, class: 'hint' }, options.hint) : null);
}

export function select(name: string, options: [string, string][], value: string | null | undefined): HTMLSelectElement {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === (value ?? '') }, label)));
}

/** The loud banner for what needs attention (paused collection, broken base buildroot). */
export const alertBanner = (kind: 'warning' | 'danger', ...children: Child[]) => h('div', { class: `banner banner-${kind}`, role: 'note' }, ...children);

export const pageHeader = (title: Child, ...rest: Child[]) => h('div', { class: 'page-header' }, h('h1', { tabindex: '-1' }, title), ...rest);
