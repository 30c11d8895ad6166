/**
 * The UI's entry point: a small client-side router over the History API (the server answers every
 * UI path with the same shell), the session header, and the live feed that redraws the current
 * page when one of its events arrives, without a reload.
 */
import { h, replaceChildren } from './dom.ts';
import { LiveFeed } from './live.ts';
import type { Page, PageContext } from './page.ts';
import { explorePage } from './pages/explore.ts';
import { groupListPage, groupPage } from './pages/groups.ts';
import { loginPage } from './pages/login.ts';
import { overviewPage } from './pages/overview.ts';
import { packageListPage } from './pages/package-list.ts';
import { packagePage } from './pages/package.ts';
import { queuePage } from './pages/queue.ts';
import { wavePage, wavesPage } from './pages/waves.ts';
import { currentUser, logOut, onSessionChange, restoreSession } from './session.ts';
import type { RippleEvent } from './types.ts';
import { errorText, pageHeader } from './ui.ts';

const routes: [RegExp, Page][] = [
  [/^\/$/, overviewPage],
  [/^\/packages$/, packageListPage],
  [/^\/packages\/([^/]+)\/([^/]+)$/, packagePage],
  [/^\/groups$/, groupListPage],
  [/^\/groups\/([^/]+)\/([^/]+)$/, groupPage],
  [/^\/explore$/, explorePage],
  [/^\/queue$/, queuePage],
  [/^\/waves$/, wavesPage],
  [/^\/waves\/(\d+)$/, wavePage],
  [/^\/login$/, loginPage],
];

const main = document.getElementById('main')!;
const liveLog = document.getElementById('live-log')!;
const liveStatus = document.getElementById('live-status')!;
const feed = new LiveFeed((status) => {
  liveStatus.textContent = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline, reconnecting…';
  liveStatus.className = `live live-${status}`;
});

interface Current { page: Page; ctx: PageContext; generation: number; loaded: boolean }
let current: Current | null = null;
let generation = 0;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshWhenIdle = false;

function match(pathname: string): [Page, string[]] | null {
  for (const [pattern, page] of routes) {
    const m = pattern.exec(pathname);
    if (m) return [page, m.slice(1).map(decodeURIComponent)];
  }
  return null;
}

/** A form field in the page has focus: redrawing would throw away what the user is typing. */
const editing = () => {
  const active = document.activeElement;
  return active instanceof HTMLElement && main.contains(active) && active.matches('input, textarea, select');
};

async function render(target: Current, isRefresh: boolean): Promise<void> {
  try {
    const view = await target.page.load(target.ctx);
    if (target.generation !== generation) return;
    const focusedId = isRefresh && document.activeElement?.id ? document.activeElement.id : null;
    document.title = `${view.title} · Ripple`;
    replaceChildren(main, view.content);
    main.dataset.loadedAt = new Date().toISOString();
    if (focusedId) document.getElementById(focusedId)?.focus();
    else if (!isRefresh && target.loaded === false && history.state?.focus) main.querySelector<HTMLElement>('h1')?.focus();
    target.loaded = true;
  } catch (error) {
    if (target.generation !== generation) return;
    if (isRefresh) {
      // Keep what is shown: a redraw that failed (the service restarting) is retried with the next event.
      announceText(`Could not refresh: ${errorText(error)}`);
      return;
    }
    document.title = 'Error · Ripple';
    replaceChildren(main, pageHeader('Could not load this page'), h('p', { class: 'banner banner-danger', role: 'alert' }, errorText(error)));
  }
}

let lastRefresh = 0;

/** Redraws soon: bursts of events (a regeneration changes thousands of packages) become one redraw, at most one a second. */
function refresh(): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    if (!current) return;
    if (editing()) {
      refreshWhenIdle = true;
      return;
    }
    lastRefresh = Date.now();
    void render(current, true);
  }, Math.max(200, lastRefresh + 1000 - Date.now()));
}

main.addEventListener('focusout', () => {
  if (!refreshWhenIdle) return;
  setTimeout(() => {
    if (editing()) return;
    refreshWhenIdle = false;
    refresh();
  }, 50);
});

function describe(event: RippleEvent): string {
  const p = event.payload;
  const where = event.package ? `${event.package}${event.collection ? ` (${event.collection})` : ''}` : event.collection ?? '';
  switch (event.type) {
    case 'package.state.change': return `${where}: ${String(p.old)} → ${String(p.new)}`;
    case 'snapshot.ingested': return `${event.collection}: snapshot ${String(p.snapshot)} ingested`;
    case 'build.queued': case 'build.started': return `${where}: build ${event.type.split('.')[1]}`;
    case 'build.finished': return `${where}: build finished, ${String(p.outcome ?? p.state)}`;
    case 'collection.change': return `${event.collection}: ${String(p.action).replace(/_/g, ' ')}`;
    default: return `${event.type}${where ? `: ${where}` : ''}`;
  }
}

function announceText(text: string, at = new Date().toISOString()): void {
  liveLog.prepend(h('li', {}, h('time', { datetime: at }, at.slice(11, 19)), ' ', text));
  while (liveLog.children.length > 5) liveLog.lastElementChild!.remove();
  liveLog.parentElement!.hidden = false;
}

function announce(events: RippleEvent[]): void {
  for (const event of events.slice(-5)) announceText(describe(event), new Date(event.occurred_at).toISOString());
}

function navigate(url: string, options: { replace?: boolean; focus?: boolean } = {}): void {
  if (options.replace) history.replaceState({ focus: options.focus ?? false }, '', url);
  else history.pushState({ focus: options.focus ?? true }, '', url);
  void show();
}

async function show(): Promise<void> {
  const found = match(location.pathname);
  generation++;
  const ctx: PageContext = { params: found?.[1] ?? [], query: new URLSearchParams(location.search), refresh, navigate };
  if (!found) {
    current = null;
    replaceChildren(main, pageHeader('Page not found'), h('p', {}, 'No page here. ', h('a', { href: '/' }, 'Go to the collections overview.')));
    return;
  }
  current = { page: found[0], ctx, generation, loaded: false };
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav.main-nav a')) {
    const section = new URL(link.href).pathname;
    const active = section === '/' ? location.pathname === '/' : location.pathname.startsWith(section);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const page = current;
  feed.watch(found[0].live?.(ctx) ?? [], (events, resynchronise) => {
    if (page !== current) return;
    if (events.length) announce(events);
    if (events.length || (resynchronise && page.loaded)) refresh();
  });
  main.setAttribute('aria-busy', 'true');
  await render(page, false);
  main.removeAttribute('aria-busy');
}

function renderSession(): void {
  const session = document.getElementById('session')!;
  const me = currentUser();
  if (!me) {
    replaceChildren(session, h('a', { href: '/login', class: 'btn btn-plain' }, 'Log in'));
    return;
  }
  const role = me.scopes.includes('admin') ? 'admin' : me.scopes.includes('maintainer') ? 'maintainer' : me.scopes.join(', ');
  const out = h('button', { type: 'button', class: 'btn btn-plain' }, 'Log out');
  out.addEventListener('click', () => logOut());
  replaceChildren(session, h('span', { class: 'who' }, 'Signed in as ', h('a', { href: '/login' }, h('strong', {}, me.user.name)), ` (${role})`), out);
}

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = (event.target as Element).closest('a');
  if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
  if (!match(link.pathname)) return;
  event.preventDefault();
  navigate(link.pathname + link.search + link.hash);
});
window.addEventListener('popstate', () => void show());

onSessionChange(() => {
  renderSession();
  if (current) void render(current, true);
});

void restoreSession().then(() => {
  renderSession();
  return show();
});
