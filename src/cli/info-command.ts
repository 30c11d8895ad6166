/**
 * `ripple info <collection> <package>`: one package as a maintainer wants to see it: state and
 * since when, buildroot, problems with their root cause, what moved in the last snapshot, history.
 */
import { packageDetail, type BinaryRef, type DependencyChangeView } from '../collections/queries.ts';
import type { StoredProblem } from '../db/schema.ts';
import type { RootCause } from '../resolution/root-cause.ts';
import { runCommand, withDatabase } from './command-line.ts';
import { shortTime } from './overview-command.ts';
import { formatTable } from './table.ts';

const help = `usage: ripple info <collection> <package> [--history N]

  --history N    how many state changes to show (default 5)`;

type Detail = Awaited<ReturnType<typeof packageDetail>>;

const nevraOf = (b: BinaryRef | null) => b?.nevra ?? '-';

function changeRows(changes: DependencyChangeView[]) {
  return changes.map((c) => [c.dependency, c.kind, nevraOf(c.previous), nevraOf(c.current), c.distance]);
}

export function formatDetail(d: Detail, history: number): string {
  const lines: string[] = [];
  const flags = [
    d.flags.tracked ? 'tracked' : 'untracked', d.flags.blocked ? 'blocked' : '',
    d.flags.manualPriority ? `manual priority ${d.flags.manualPriority}` : '', d.flags.staticPriority ? `static priority ${d.flags.staticPriority}` : '',
    d.flags.snoozeUntil ? `snoozed until ${shortTime(d.flags.snoozeUntil)}` : '', d.flags.archOverride ? `arches ${d.flags.archOverride.join(',')}` : '',
  ].filter(Boolean);
  lines.push(`${d.name} in ${d.collection}: ${d.state} since ${shortTime(d.stateSince)}${d.stateSnapshotSequence !== null ? ` (snapshot ${d.stateSnapshotSequence})` : ''}`);
  lines.push(`  ${flags.join(', ')}${d.groups.length ? `; groups ${d.groups.join(', ')}` : ''}`);
  const r = d.resolution;
  if (!r) {
    lines.push('  not resolved yet: the collection has no snapshot with this package');
  } else if (r.resolved) {
    const direct = r.buildroot.filter((m) => m.distance === 1).map((m) => m.name);
    lines.push(`  buildroot of snapshot ${r.snapshotSequence}: ${r.buildroot.length} packages (${r.buildroot.filter((m) => m.base).length} from the base), direct: ${direct.join(' ') || 'none'}`);
  } else {
    lines.push(`  unresolvable in snapshot ${r.snapshotSequence}:`);
    for (const problem of r.problems as StoredProblem[]) for (const sentence of problem.sentences) lines.push(`    - ${sentence}`);
  }
  const cause = r?.rootCause as RootCause | null | undefined;
  if (cause) {
    lines.push(`  root cause: ${cause.summary}`);
    for (const c of cause.causes) lines.push(`    - ${c.explanation}`);
  }
  const changes = d.dependencyChanges.previousResolution;
  if (changes.length) {
    lines.push('', `dependency changes in snapshot ${r?.snapshotSequence}:`);
    lines.push(formatTable(['dependency', 'change', 'before', 'now', 'distance'], changeRows(changes)));
  }
  const states = d.stateHistory.slice(0, history);
  if (states.length) {
    lines.push('', 'state changes (newest first):');
    lines.push(formatTable(['at', 'snapshot', 'from', 'to', 'reason'], states.map((s) => [shortTime(s.at), s.snapshotSequence, s.previousState ?? '-', s.state, s.reason])));
  }
  return lines.join('\n');
}

export const run = (args: string[]) => runCommand({
  name: 'info', help, positionals: { min: 2 }, options: { history: { type: 'string' } },
}, args, async (a) => {
  const [collection, name] = a.positionals as [string, string];
  const history = a.integer('history') ?? 5;
  const detail = await withDatabase(({ db }) => packageDetail(db, collection, name));
  console.log(formatDetail(detail, history));
});
