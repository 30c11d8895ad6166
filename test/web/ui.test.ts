/**
 * The web UI in a real browser (Debian's chromium driven by playwright-core) against a real service
 * with the rpm-md fixture distribution: every page opens and links through, a maintainer
 * subscribes to a group, an admin pauses a collection, waives a failed result and runs a rebuild
 * wave, and a regeneration reaches the open package page over the websocket feed without a reload.
 * Screenshots go to test-artifacts/web/.
 *
 * One database backend: PostgreSQL when DATABASE_URL is set (what CI runs), else PGlite; the
 * browser flows do not depend on it and the domain tests cover both.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { databaseBackends } from '../helpers/database.ts';
import { startUiService, type UiService } from './ui-service.ts';

const artifacts = new URL('../../test-artifacts/web/', import.meta.url).pathname;
let service: UiService;
let browser: BrowserContext;
let page: Page;
let profile: string;

test.before(async () => {
  mkdirSync(artifacts, { recursive: true });
  service = await startUiService(databaseBackends().at(-1)!);
  profile = mkdtempSync(join(tmpdir(), 'ripple-chromium-'));
  // A persistent context is how playwright takes a fresh --user-data-dir of our own.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => console.error('page error:', error.message));
});

test.after(async () => {
  await browser?.close();
  await service?.stop();
  rmSync(profile, { force: true, recursive: true });
});

const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const heading = () => page.locator('main h1').first();

/** Waits until the element's text matches (pages load and redraw asynchronously). Browser code is passed as text: this file is type-checked for Node. */
async function waitForText(selector: string, pattern: RegExp, timeout = 15_000): Promise<string> {
  const handle = await page.waitForFunction(`(() => {
    const text = document.querySelector(${JSON.stringify(selector)})?.textContent ?? '';
    return new RegExp(${JSON.stringify(pattern.source)}, ${JSON.stringify(pattern.flags)}).test(text) ? text : false;
  })()`, undefined, { timeout });
  return (await handle.jsonValue()) as string;
}

async function api<T>(path: string, token?: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${service.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
  return response.json() as Promise<T>;
}

async function logInAs(token: string, name: string): Promise<void> {
  await page.goto(`${service.url}/login`);
  await page.getByRole('textbox', { name: 'API token' }).fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await waitForText('#session', new RegExp(`Signed in as ${name}`));
}

test('overview: state counts, history chart and snapshot per collection; links into the package list', async () => {
  await page.goto(service.url);
  assert.is(await heading().textContent(), 'Collections');
  await waitForText('main', /fixture-updates/);
  const card = page.locator('article', { has: page.locator('h2 a', { hasText: /^fixture$/ }) });
  assert.match(await card.textContent() ?? '', /Snapshot#1/);
  assert.match(await card.locator('svg.chart').getAttribute('aria-label') ?? '', /^fixture: .*\d+ unresolved/);
  assert.is(await page.locator('#live-status').textContent(), 'Live');
  await shot('overview');
  await card.locator('a.count-unresolved').click();
  await waitForText('#package-total', /^3 packages$/);
  assert.match(page.url(), /\/packages\?collection=fixture&state=unresolved$/);
  assert.match(await page.locator('#package-table').textContent() ?? '', /clash.*newthing.*nosuch/s);
});

test('package list: wildcard search across collections, then the package page with buildroot distances and its badge', async () => {
  await page.goto(`${service.url}/packages`);
  await page.getByLabel('Search (* = wildcard)').fill('ba*');
  await page.getByRole('button', { name: 'Apply' }).click();
  await waitForText('#package-total', /^6 matches across 2 collections$/);
  await shot('package-list');
  // Multi-collection view: one row per package, one column per collection.
  const headers = await page.locator('#package-table th').allTextContents();
  assert.equal(headers, ['Package', 'fixture', 'fixture-updates']);
  await page.locator('#package-table tr', { hasText: 'baz' }).locator('a').first().click();
  await waitForText('main h1', /^baz in fixture$/);
  const libbarDevel = await page.locator('#buildroot-table tr', { hasText: 'libbar-devel' }).locator('td').allTextContents();
  assert.equal(libbarDevel.slice(0, 4), ['libbar-devel', '1.9-3', 'x86_64', '2']);
  assert.match(await page.locator('#schedule-verdict').textContent() ?? '', /Not scheduled because/);
  const badge = await fetch(`${service.url}/badge/fixture/baz.svg`);
  assert.is(badge.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
  assert.match(await badge.text(), /<svg[^>]+aria-label="fixture: unknown"/);
  assert.ok(await page.evaluate(`(() => { const img = document.querySelector('img[src*="/badge/fixture/baz.svg"]'); return img.complete && img.naturalWidth > 0; })()`), 'badge image renders');
  await shot('package');
});

test('group page: members with their states; a logged-in maintainer subscribes and unsubscribes', async () => {
  await page.goto(`${service.url}/packages/fixture/baz`);
  await page.getByRole('link', { name: 'global/libbar-stack' }).click();
  await waitForText('main h1', /Group global\/libbar-stack/);
  assert.match(await page.locator('#members-table').textContent() ?? '', /bartender.*baz.*libbar.*newthing.*qux.*zap/s);
  assert.match(await page.locator('#subscription').textContent() ?? '', /Log in to subscribe/);

  await logInAs(service.tokens.maintainer, 'alice');
  await page.goto(`${service.url}/groups/global/libbar-stack`);
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await waitForText('#subscription', /You are subscribed to global\/libbar-stack/);
  const subscriptions = await api<{ group: string }[]>('/api/subscriptions', service.tokens.maintainer);
  assert.equal(subscriptions.map((s) => s.group), ['global/libbar-stack']);
  await shot('group-subscribed');
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await waitForText('#subscription', /Subscribe to hear about/);
  assert.equal(await api('/api/subscriptions', service.tokens.maintainer), []);
});

test('admin: pause and resume a collection from the overview, shown loudly while paused', async () => {
  await logInAs(service.tokens.admin, 'root');
  await page.goto(service.url);
  await page.locator('#pause-fixture').click();
  await waitForText('article:has(#pause-fixture)', /Paused: no builds are scheduled/);
  assert.is((await api<{ paused: boolean }>('/api/collections/fixture')).paused, true);
  assert.is(await page.locator('#pause-fixture').textContent(), 'Resume');
  await shot('overview-paused');
  await page.locator('#pause-fixture').click();
  await waitForText('#pause-fixture', /^Pause$/);
  assert.is((await api<{ paused: boolean }>('/api/collections/fixture')).paused, false);
});

test('admin: set a priority and waive a failed result with a comment; the gating decision follows', async () => {
  await api('/api/v2.0/results', service.tokens.admin, { method: 'POST', body: {
    testcase: { name: 'ci.functional' }, outcome: 'FAILED', note: 'smoke test crashed', data: { type: 'ripple_package', item: 'fixture/baz' },
  } });
  await page.goto(`${service.url}/packages/fixture/baz`);
  await page.getByLabel('Manual priority').fill('300');
  await page.getByRole('button', { name: 'Set priority' }).click();
  // Above the threshold of 256: eligible at once, and the scheduler (1 s ticks) queues it soon.
  await waitForText('#schedule-verdict', /Eligible|Build #\d+/);

  await waitForText('#results-table', /ci\.functional.*FAILED.*smoke test crashed/s);
  await page.getByLabel('Comment for waiving ci.functional').fill('known flaky smoke test, tracked upstream');
  await page.locator('form.waive-form', { has: page.getByLabel('Comment for waiving ci.functional') }).getByRole('button', { name: 'Waive' }).click();
  await waitForText('#waivers-table', /ci\.functional.*yes.*root.*known flaky smoke test/s);
  const waivers = await api<{ data: { testcase: string; comment: string; product_version: string }[] }>('/api/v1.0/waivers/?subject_identifier=fixture/baz');
  assert.equal(waivers.data.map((w) => [w.testcase, w.comment, w.product_version]), [['ci.functional', 'known flaky smoke test, tracked upstream', 'fixture']]);
  await shot('package-waived');
});

test('maintainer: snooze a package (the schedule says why it waits), wake it up, subscribe and unsubscribe, then request a build that the scheduler queues', async () => {
  await page.goto(`${service.url}/packages/fixture/qux`);
  await waitForText('main h1', /qux/);
  // datetime-local takes the browser's local time; two days ahead is unambiguous in any zone.
  const until = await page.evaluate(`(() => { const d = new Date(Date.now() + 2 * 86400000); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 16); })()`) as string;
  await page.getByLabel('Snooze until (your time)').fill(until);
  await page.getByRole('button', { name: 'Snooze' }).click();
  await waitForText('main', /Not scheduled because:.*snoozed until/s);
  const snoozed = await api<{ flags: { snoozeUntil: string | null } }>('/api/collections/fixture/packages/qux');
  assert.ok(snoozed.flags.snoozeUntil && Date.parse(snoozed.flags.snoozeUntil) > Date.now() + 86_400_000, `snoozed until ${snoozed.flags.snoozeUntil}`);
  await shot('package-snoozed');

  await page.getByRole('button', { name: 'Wake up' }).click();
  await waitForText('main', /Snooze until \(your time\)/);
  assert.is((await api<{ flags: { snoozeUntil: string | null } }>('/api/collections/fixture/packages/qux')).flags.snoozeUntil, null);

  await page.locator('#subscribe').click();
  await waitForText('#subscription', /You are subscribed to qux/);
  const subscriptions = await api<{ id: number; package: string | null }[]>('/api/subscriptions', service.tokens.admin);
  assert.equal(subscriptions.filter((s) => s.package === 'qux').length, 1);
  await page.locator('#unsubscribe').click();
  await waitForText('#subscription', /Subscribe to hear about .* qux/);

  await page.locator('#request-build').click();
  // The scheduler (1 s ticks) queues it and the page's build table follows live.
  const row = await waitForText('#builds-table', /#\d+/, 30_000);
  const builds = await api<{ id: number }[]>('/api/builds?collection=fixture&package=qux');
  assert.is(builds.length, 1);
  assert.match(row, `#${builds[0]!.id}`);
});

test('explore: reverse build dependencies of a binary link to the packages', async () => {
  await page.goto(`${service.url}/explore`);
  await page.getByLabel('Binary package').fill('libbar');
  await page.getByRole('button', { name: 'Find reverse dependencies' }).click();
  await waitForText('#reverse-total', /packages build with libbar in fixture/);
  assert.match(await page.locator('#reverse-table').textContent() ?? '', /baz/);
  await shot('reverse-dependencies');
});

test('builders and queue: the simulation builder with its capacity; the requested build of baz finished, with its log', async () => {
  await page.getByRole('link', { name: 'Builders & queue' }).click();
  await waitForText('main h1', /Builders and queue/);
  assert.match(await page.locator('#builders-table').textContent() ?? '', /simulation.*[01] \/ 1/s);
  // The priority set above made the scheduler queue baz; the simulated build ends within seconds and the page follows live.
  await waitForText('#finished-table', /baz/, 30_000);
  const log = await page.locator('#finished-table tr', { hasText: 'baz' }).getByRole('link', { name: /log/ }).getAttribute('href');
  const response = await fetch(`${service.url}${log}`);
  assert.is(response.status, 200);
  assert.ok((await response.text()).length > 0, 'the build log has content');
  await shot('queue');
});

test('live: a regeneration while the service is down reaches the open package page on reconnect (resume), without a reload', async () => {
  await page.goto(`${service.url}/packages/fixture/baz`);
  await waitForText('#package-state', /since/);
  await waitForText('#live-status', /^Live$/);
  await page.evaluate('window.notReloaded = true');
  // A second tab holds the affected-by query for libbar, which nothing has moved yet.
  const explore = await browser.newPage();
  await explore.goto(`${service.url}/explore?collection=fixture&dependency=libbar`);
  await explore.waitForFunction(`/^0 changes of libbar/.test(document.querySelector('#affected-total')?.textContent ?? '')`);
  await explore.waitForFunction(`document.querySelector('#live-status')?.textContent === 'Live'`);
  const sent: string[] = [];
  page.on('websocket', (socket) => socket.on('framesent', (frame) => sent.push(String(frame.payload))));
  // The page's websocket closes with the service; the ingest's events are written while nobody listens.
  await service.restart(async () => {
    await waitForText('#live-status', /Offline/);
    await service.bump({ now: true });
  });
  const state = await waitForText('#package-state', /unresolved/, 30_000);
  assert.match(state, /Unresolved since snapshot 2: .*libbar 2\.0-1 replaced libbar 1\.9-3/);
  assert.is(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
  const resumed = sent.map((text) => JSON.parse(text) as { op: string; resume_from?: number }).filter((m) => m.op === 'subscribe');
  assert.ok(resumed.length > 0 && resumed.every((m) => typeof m.resume_from === 'number'), `subscriptions resumed from their cursors: ${sent.join(' ')}`);
  assert.match(await page.locator('#live-log').textContent() ?? '', /baz \(fixture\): \w+ → unresolved/);
  assert.match(await page.locator('.problems').textContent() ?? '', /libbar\.so\.1/);
  await shot('package-live-unresolved');

  // What libbar's move did: the affected-by tab redrew itself from the snapshot's event.
  await explore.waitForFunction(`/qux.*#2.*upgraded.*1\\.9-3.*2\\.0-1/s.test(document.querySelector('#affected-table')?.textContent ?? '')`);
  await explore.close();
  await page.goto(`${service.url}/explore?collection=fixture&dependency=libbar`);
  await waitForText('#affected-table', /qux.*#2.*upgraded.*1\.9-3.*2\.0-1/s);
  await page.locator('#affected-table').getByRole('link', { name: 'qux' }).click();
  await waitForText('main h1', /^qux in fixture$/);
  await shot('affected-by');
});

test('rebuild waves: plan with its cost estimate, start it, and watch every package reach an end state live; pause, resume and cancel another', async () => {
  await page.getByRole('link', { name: 'Rebuild waves' }).click();
  await waitForText('main h1', /Rebuild waves/);
  await page.getByLabel('Collection').selectOption('fixture-updates');
  await page.getByLabel('What').fill('libbar');
  await page.getByLabel('Description').fill('libbar rebuild from the UI test');
  await page.getByRole('button', { name: /Plan wave/ }).click();
  await waitForText('main h1', /^Wave #\d+$/);
  const id = Number(/\/waves\/(\d+)$/.exec(page.url())![1]);
  await waitForText('#wave-estimate', /^\d+ builds in \d+ batch(es)?: about .+ wall-clock/);
  const planned = await api<{ state: string; counts: Record<string, number>; nodes: { package: string; batch: number }[] }>(`/api/waves/${id}`);
  assert.is(planned.state, 'planned');
  assert.is(planned.counts.queued, 0, 'planning queues nothing');
  assert.is(planned.nodes.find((n) => n.package === 'libbar')?.batch, 0);
  assert.is(await page.locator('svg.wave-graph a.node').count(), planned.nodes.length);
  await shot('wave-planned');

  await page.evaluate('window.notReloaded = true');
  await page.getByRole('button', { name: 'Start wave' }).click();
  await waitForText('#wave-state', /^finished$/, 30_000);
  assert.is(await page.evaluate('window.notReloaded'), true, 'progress arrived without a reload');
  const text = await page.locator('#wave-counts').textContent() ?? '';
  assert.not.match(text, /pending|queued|building/);
  const libbar = await page.locator('svg.wave-graph a.node[href$="/libbar"]').getAttribute('class');
  assert.match(libbar ?? '', /node-(built|failed)/);
  await shot('wave-finished');

  // Another wave, in a paused collection so that it cannot finish under the test: start, pause, resume, cancel.
  await api('/api/collections/fixture', service.tokens.admin, { method: 'PATCH', body: { paused: true } });
  const other = await api<{ id: number }>('/api/waves', service.tokens.admin, { method: 'POST', body: { collection: 'fixture', packages: ['qux'] } });
  await page.goto(`${service.url}/waves/${other.id}`);
  await page.getByRole('button', { name: 'Start wave' }).click();
  await waitForText('#wave-state', /^running$/);
  await page.getByRole('button', { name: 'Pause' }).click();
  await waitForText('#wave-state', /^paused$/);
  assert.is((await api<{ state: string }>(`/api/waves/${other.id}`)).state, 'paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await waitForText('#wave-state', /^running$/);
  await page.getByRole('button', { name: 'Cancel wave' }).click();
  await waitForText('#wave-state', /^canceled$/);
  assert.is((await api<{ state: string }>(`/api/waves/${other.id}`)).state, 'canceled');
  await api('/api/collections/fixture', service.tokens.admin, { method: 'PATCH', body: { paused: false } });
});

test('keyboard: the first Tab reaches the skip link, and form fields have labels', async () => {
  await page.goto(`${service.url}/packages`);
  await waitForText('main h1', /Packages/);
  await page.keyboard.press('Tab');
  assert.is(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
  const unlabelled = await page.evaluate(`[...document.querySelectorAll('main input, main select, main textarea')]
    .filter((e) => !e.labels?.length).map((e) => e.outerHTML)`);
  assert.equal(unlabelled, []);
});

test.run();
