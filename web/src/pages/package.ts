/**
 * One package in one collection: state and since when with its root cause, problems, why it is
 * (not) scheduled, dependency changes since the last build, builds with logs, results, waivers and
 * the gating decision, the buildroot with distances, state history, a badge, and the actions a
 * maintainer or admin may take.
 */
import { api, path, query } from '../api.ts';
import { h, type Child } from '../dom.ts';
import type { Page, PageContext } from '../page.ts';
import { can, currentUser } from '../session.ts';
import { subscriptionControls } from '../subscription-controls.ts';
import type { Build, Decision, DependencyChange, PackageDetail, Result, Schedule, Subscription, Waiver } from '../types.ts';
import { actionButton, actionForm, duration, field, groupHref, packageHref, pageHeader, section, stateBadge, table, time } from '../ui.ts';

const subjectType = 'ripple_package';

function changeTable(caption: string, changes: DependencyChange[], empty: string): HTMLElement {
  return table(caption, [
    { label: 'Dependency', cell: (c) => c.dependency },
    { label: 'Change', cell: (c) => h('span', { class: `kind kind-${c.kind}` }, c.kind) },
    { label: 'From', cell: (c) => c.previous?.evr ?? '—' },
    { label: 'To', cell: (c) => c.current?.evr ?? '—' },
    { label: 'Distance', cell: (c) => (c.distance === null ? '—' : String(c.distance)), numeric: true },
  ], changes, empty, { captionHidden: true });
}

function stateSummary(detail: PackageDetail): Child {
  const rootCause = detail.resolution?.rootCause;
  const since = detail.stateSnapshotSequence === null ? null : ` (snapshot ${detail.stateSnapshotSequence})`;
  return h('div', { class: `status-box status-${detail.state}`, id: 'package-state' },
    h('p', { class: 'status-line' }, stateBadge(detail.state, 'state-lg'), ' since ', time(detail.stateSince), since),
    rootCause && detail.state !== 'ok'
      ? h('p', { class: 'root-cause' }, h('strong', {}, `${detail.state === 'unresolved' ? 'Unresolved' : 'Changed'} since snapshot ${detail.stateSnapshotSequence ?? detail.resolution!.snapshotSequence}: `), rootCause.summary)
      : rootCause ? h('p', { class: 'root-cause muted' }, `Last change: ${rootCause.summary}`) : null,
    rootCause?.causes.length ? h('ul', { class: 'causes' }, rootCause.causes.map((c) => h('li', {}, c.explanation))) : null);
}

function maintainerActions(detail: PackageDetail, ctx: PageContext): Child {
  if (!can('maintainer')) return h('p', { class: 'muted' }, h('a', { href: '/login' }, 'Log in'), ' with a maintainer token to set priorities, snooze, request builds or waive results.');
  const base = path('api', 'collections', detail.collection, 'packages', detail.name);
  const manual = h('input', { type: 'number', name: 'manualPriority', value: String(detail.flags.manualPriority), step: '1', class: 'narrow' });
  const stat = h('input', { type: 'number', name: 'staticPriority', value: String(detail.flags.staticPriority), step: '1', class: 'narrow' });
  const snoozed = detail.flags.snoozeUntil && new Date(detail.flags.snoozeUntil) > new Date();
  const until = h('input', { type: 'datetime-local', name: 'snoozeUntil', required: true });
  return h('div', { class: 'action-grid' },
    actionForm('Set priority', [field('Manual priority', manual), field('Static priority', stat)], async () => {
      await api(base, { method: 'PATCH', body: { manualPriority: Number(manual.value), staticPriority: Number(stat.value) } });
      return 'Priority saved.';
    }, ctx.refresh),
    snoozed
      ? h('div', { class: 'inline-form' }, h('span', {}, 'Snoozed until ', time(detail.flags.snoozeUntil)), actionButton('Wake up', async () => {
        await api(base, { method: 'PATCH', body: { snoozeUntil: null } });
        return 'Snooze cleared.';
      }, ctx.refresh))
      : actionForm('Snooze', [field('Snooze until (your time)', until)], async () => {
        await api(base, { method: 'PATCH', body: { snoozeUntil: new Date(until.value).toISOString() } });
        return 'Snoozed.';
      }, ctx.refresh),
    h('div', { class: 'inline-form' }, actionButton('Request a build', async () => {
      await api(`${base}/builds`, { method: 'POST' });
      return 'Build requested: the scheduler queues it at its next tick.';
    }, ctx.refresh, { kind: 'primary', id: 'request-build' })));
}

function scheduleSection(schedule: Schedule): HTMLElement {
  const p = schedule.priority;
  const parts: [string, number][] = [['manual', p.manual], ['static', p.static], ['dependency', p.dependency], ['failed build', p.build], ['retry', p.retry], ['time', p.time]];
  const scheduled = schedule.notScheduledBecause.length === 0;
  return section('Scheduling',
    h('p', { id: 'schedule-verdict', class: scheduled ? 'good' : '' },
      schedule.activeBuild ? `Build #${schedule.activeBuild.id} is ${schedule.activeBuild.state}. ` : '',
      scheduled ? 'Eligible: the next scheduler tick may queue a build (caps permitting).' : 'Not scheduled because:'),
    scheduled ? null : h('ul', { class: 'reasons' }, schedule.notScheduledBecause.map((r) => h('li', {}, r))),
    h('p', { class: 'priority' }, h('strong', {}, `Priority ${p.total}`), ` of threshold ${schedule.threshold} = (`,
      parts.map(([label, v], i) => [i ? ' + ' : '', h('span', { title: label }, `${label} ${Math.round(v)}`)]), `) × coefficient ${p.coefficient}`),
    h('meter', { min: 0, max: schedule.threshold, value: Math.max(0, Math.min(p.total, schedule.threshold)), 'aria-label': `priority ${p.total} of threshold ${schedule.threshold}` }));
}

function gatingSection(detail: PackageDetail, results: Result[], waivers: Waiver[], decisions: [string, Decision | string][], ctx: PageContext): HTMLElement {
  const identifier = `${detail.collection}/${detail.name}`;
  const waiveForm = (testcase: string) => {
    const comment = h('textarea', { name: 'comment', required: true, rows: 2, placeholder: 'Why is this acceptable?' });
    return actionForm('Waive', [field(`Comment for waiving ${testcase}`, comment)], async () => {
      await api('/api/v1.0/waivers/', { method: 'POST', body: {
        subject_type: subjectType, subject_identifier: identifier, testcase, product_version: detail.collection, waived: true, comment: comment.value,
      } });
      return `Waived ${testcase}.`;
    }, ctx.refresh, { class: 'waive-form' });
  };
  return section('Results and gating',
    h('div', { class: 'decisions' }, decisions.map(([context, d]) => typeof d === 'string'
      ? h('div', { class: 'decision' }, h('strong', {}, context), ` ${d}`)
      : h('div', { class: `decision ${d.policies_satisfied ? 'pass' : 'fail'}` },
        h('strong', {}, context), ' ', h('span', { class: `state state-${d.policies_satisfied ? 'ok' : 'failing'}` }, d.policies_satisfied ? 'passes' : 'blocked'),
        ` ${d.summary}`,
        d.unsatisfied_requirements.length ? h('ul', {}, d.unsatisfied_requirements.map((r) => h('li', {}, `${r.testcase}: ${r.type}`))) : null))),
    table('Latest results', [
      { label: 'Testcase', cell: (r) => r.testcase.name },
      { label: 'Outcome', cell: (r) => h('span', { class: `outcome outcome-${r.outcome.toLowerCase()}` }, r.outcome) },
      { label: 'Submitted', cell: (r) => time(`${r.submit_time}Z`) },
      { label: 'Note', cell: (r) => r.note ?? '' },
      { label: 'Waive', cell: (r) => {
        if (['PASSED', 'INFO'].includes(r.outcome)) return '';
        const waiver = waivers.find((w) => w.testcase === r.testcase.name && w.waived);
        if (waiver) return h('span', { class: 'good' }, `waived by ${waiver.username}`);
        return can('maintainer') ? waiveForm(r.testcase.name) : h('span', { class: 'muted' }, 'log in to waive');
      } },
    ], results, 'No results recorded yet.', { id: 'results-table' }),
    h('h3', {}, 'Waivers'),
    table('Waivers', [
      { label: 'Testcase', cell: (w) => w.testcase },
      { label: 'Waived', cell: (w) => (w.waived ? 'yes' : 'revoked') },
      { label: 'By', cell: (w) => w.username },
      { label: 'When', cell: (w) => time(`${w.timestamp}Z`) },
      { label: 'Comment', cell: (w) => w.comment },
    ], waivers, 'No waivers.', { captionHidden: true, id: 'waivers-table' }));
}

function buildsSection(builds: Build[]): HTMLElement {
  return section('Builds', table('Build history', [
    { label: 'Build', cell: (b) => `#${b.id}` },
    { label: 'State', cell: (b) => h('span', { class: `build build-${b.state}` }, b.state) },
    { label: 'Outcome', cell: (b) => (b.outcome ? h('span', { class: `outcome outcome-${b.outcome}` }, b.outcome) : '—') },
    { label: 'Reason', cell: (b) => b.reason.kind },
    { label: 'Snapshot', cell: (b) => `#${b.snapshot}`, numeric: true },
    { label: 'Queued', cell: (b) => time(b.queuedAt) },
    { label: 'Duration', cell: (b) => duration(b.durationMs), numeric: true },
    { label: 'Log', cell: (b) => (b.startedAt ? h('a', { href: b.logUrl, target: '_blank', rel: 'noopener' }, 'log', h('span', { class: 'sr-only' }, ` of build ${b.id}`)) : '—') },
  ], builds, 'Never built.', { captionHidden: true, id: 'builds-table' }));
}

function buildrootSection(detail: PackageDetail): HTMLElement | null {
  const resolution = detail.resolution;
  if (!resolution?.resolved) return null;
  const rows = [...resolution.buildroot].sort((a, b) => (a.distance ?? 99) - (b.distance ?? 99) || a.name.localeCompare(b.name));
  const filter = h('input', { type: 'search', placeholder: 'filter by name', autocomplete: 'off' });
  const list = table('Buildroot', [
    { label: 'Binary', cell: (b) => h('a', { href: `/explore${query({ collection: detail.collection, binary: b.name })}`, title: `what else builds with ${b.name}` }, b.name) },
    { label: 'Version', cell: (b) => b.evr },
    { label: 'Arch', cell: (b) => b.arch },
    { label: 'Distance', cell: (b) => (b.distance === null ? '—' : String(b.distance)), numeric: true },
    { label: 'Base', cell: (b) => (b.base ? 'base' : '') },
  ], rows, 'Empty buildroot.', { captionHidden: true, id: 'buildroot-table' });
  filter.addEventListener('input', () => {
    const needle = filter.value.trim().toLowerCase();
    for (const row of list.querySelectorAll('tbody tr')) (row as HTMLElement).hidden = needle !== '' && !row.firstElementChild!.textContent!.toLowerCase().includes(needle);
  });
  return section(`Buildroot (${rows.length} packages)`,
    h('p', { class: 'muted' }, 'Distance 1 = a direct build dependency, 2 = what those need, and so on; base = the collection\'s base buildroot. A name links to its reverse build dependencies.'),
    field('Filter the buildroot', filter, { hiddenLabel: true }),
    h('details', { open: rows.length <= 60 }, h('summary', {}, `${rows.length} binaries`), list));
}

export const packagePage: Page = {
  live(ctx) {
    const [collection, name] = ctx.params;
    return [{ collection, package: name }, { package: name, types: ['result.new', 'waiver.new', 'decision.update'] }];
  },
  async load(ctx) {
    const [collection, name] = ctx.params as [string, string];
    const identifier = `${collection}/${name}`;
    const base = path('api', 'collections', collection, 'packages', name);
    const [detail, schedule, builds, results, waivers, policies, subscriptions] = await Promise.all([
      api<PackageDetail>(base),
      api<Schedule>(`${base}/schedule`),
      api<Build[]>(`/api/builds${query({ collection, package: name, limit: 20 })}`),
      api<{ data: Result[] }>(`/api/v2.0/results/latest${query({ type: subjectType, item: identifier })}`),
      api<{ data: Waiver[] }>(`/api/v1.0/waivers/${query({ subject_type: subjectType, subject_identifier: identifier, limit: 50 })}`),
      api<{ policies: { subject_type: string; decision_contexts: string[] }[] }>('/api/v1.0/policies'),
      currentUser() ? api<Subscription[]>('/api/subscriptions') : Promise.resolve(null),
    ]);
    const contexts = [...new Set(policies.policies.filter((p) => p.subject_type === subjectType).flatMap((p) => p.decision_contexts))];
    const decisions = await Promise.all(contexts.map(async (context): Promise<[string, Decision | string]> => {
      try {
        return [context, await api<Decision>('/api/v1.0/decision', { method: 'POST', body: { product_version: collection, decision_context: context, subject_type: subjectType, subject_identifier: identifier } })];
      } catch (error) {
        return [context, (error as Error).message];
      }
    }));
    const badge = `${location.origin}${path('badge', collection, `${name}.svg`)}`;
    const problems = detail.resolution && !detail.resolution.resolved ? detail.resolution.problems : [];
    return {
      title: `${name} in ${collection}`,
      content: [
        pageHeader([name, h('span', { class: 'muted' }, ` in ${collection}`)],
          h('p', { class: 'lede' },
            h('a', { href: `/packages${query({ collection })}` }, `all packages of ${collection}`),
            detail.groups.map((g) => [' · group ', h('a', { href: groupHref(g) }, g)]),
            !detail.flags.tracked ? ' · untracked' : '', detail.flags.blocked ? ' · blocked' : '')),
        stateSummary(detail),
        h('div', { class: 'package-grid' },
          h('div', { class: 'main-col' },
            problems.length ? section('Problems', h('ol', { class: 'problems' }, problems.map((p) => h('li', {}, p.sentences.map((s) => h('div', {}, s)))))) : null,
            section('Dependency changes since the last build', changeTable('Dependency changes since the last build', detail.dependencyChanges.lastBuild, 'No dependency changed since the last build.'),
              detail.dependencyChanges.previousResolution.length ? h('details', {}, h('summary', {}, `Changes in the latest snapshot (${detail.dependencyChanges.previousResolution.length})`),
                changeTable('Changes in the latest snapshot', detail.dependencyChanges.previousResolution, '')) : null),
            buildsSection(builds),
            gatingSection(detail, results.data, waivers.data, decisions, ctx),
            buildrootSection(detail),
            section('State history', table('State history', [
              { label: 'When', cell: (s) => time(s.at) },
              { label: 'Change', cell: (s) => [s.previousState ? stateBadge(s.previousState) : '', ' → ', stateBadge(s.state)] },
              { label: 'Snapshot', cell: (s) => (s.snapshotSequence === null ? '—' : `#${s.snapshotSequence}`), numeric: true },
              { label: 'Why', cell: (s) => s.reason },
            ], detail.stateHistory, 'No state change yet.', { captionHidden: true, id: 'state-history' }))),
          h('div', { class: 'side-col' },
            section('Actions', maintainerActions(detail, ctx)),
            section('Subscription', subscriptionControls({ package: name }, subscriptions, ctx)),
            scheduleSection(schedule),
            section('Badge', h('p', {}, h('a', { href: badge }, h('img', { src: `${badge}?state=${detail.state}`, alt: `${collection} state of ${name}`, height: 20 }))),
              field('Markdown for a README', h('input', { type: 'text', readonly: true, value: `[![${name} on Ripple](${badge})](${location.origin}${packageHref(collection, name)})` }))))),
      ],
    };
  },
};
