/**
 * `ripple wave plan|start|pause|resume|cancel|show|list`: rebuild waves through the same service
 * calls as /api/waves. The CLI is trusted (like `ripple group`); actions are recorded as --by, by
 * default the operating-system user.
 */
import { userInfo } from 'node:os';
import type { WaveTarget } from '../db/schema.ts';
import { expectPackageName } from '../http/validation.ts';
import { listWaves, planWave, transitionWave, waveDetail, waveStates, type WaveAction, type WaveDetail, type WaveSummary } from '../scheduling/waves.ts';
import { UsageError, dispatch, parseInteger, runCommand, withDatabase } from './command-line.ts';
import { formatTable } from './table.ts';

const help = `usage: ripple wave <subcommand>

  plan <collection> (--affected NAME | --group NS/NAME | --packages a,b) [--description T] [--by USER] [--json]
                              compute batches, cycles and the cost estimate; nothing is queued
  start|pause|resume|cancel <id> [--by USER]
  show <id> [--json]          batches, every package with its state, cycles
  list [--collection C] [--state ${waveStates.join('|')}]`;

const by = (value: string | undefined) => value ?? userInfo().username;

const duration = (seconds: number) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`);

function summaryLines(w: WaveSummary): string[] {
  const target = w.target.kind === 'packages' ? `packages ${w.target.value.join(', ')}` : `${w.target.kind} ${w.target.value}`;
  const counts = Object.entries(w.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ');
  return [
    `wave ${w.id} (${w.collection}, snapshot ${w.snapshot}): ${w.state}${w.currentBatch === null ? '' : `, batch ${w.currentBatch + 1} of ${w.batchCount}`}`,
    `  target: ${target}${w.description ? ` — ${w.description}` : ''}`,
    `  estimate: ${w.estimate.builds} builds in ${w.batchCount} batches, ${duration(w.estimate.buildSeconds)} of building, about ${duration(w.estimate.expectedSeconds)} wall clock`
      + ` (${w.estimate.fromHistory} from build history, ${w.estimate.fallback} at ${duration(w.estimate.fallbackSeconds)} each without history)`,
    `  packages: ${counts || 'none'}`,
    ...w.cycles.map((c) => `  cycle ${c.id} (batch ${c.batch + 1}, built as one unit): ${c.packages.join(', ')}`),
    ...(w.waitingFor ? [`  ${w.waitingFor}`] : []),
  ];
}

function printDetail(w: WaveDetail): void {
  console.log(summaryLines(w).join('\n'));
  console.log(formatTable(['batch', 'package', 'state', 'build', 'expected', 'cycle', 'reason'], w.nodes.map((n) => [
    n.batch + 1, n.package, n.state, n.buildId ?? '', `${duration(n.expectedSeconds)}${n.estimate === 'history' ? '' : '*'}`, n.cycle ?? '', n.reason ?? '',
  ])));
  if (w.nodes.some((n) => n.estimate !== 'history')) console.log('* no build history for this package: estimated from the collection or the default');
}

const plan = (args: string[]) => runCommand({
  name: 'wave plan', help: help.split('\n').slice(2, 4).join('\n'), positionals: { min: 1, max: 1 },
  options: { affected: { type: 'string' }, group: { type: 'string' }, packages: { type: 'string', multiple: true }, description: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' } },
}, args, async (a) => {
  a.exclusive('affected', 'group', 'packages');
  let target: WaveTarget;
  const affected = a.string('affected');
  const group = a.string('group');
  const packages = a.list('packages');
  if (affected !== undefined) target = { kind: 'affected', value: expectPackageName(affected, 'affected') };
  else if (group !== undefined) target = { kind: 'group', value: group };
  else if (packages?.length) target = { kind: 'packages', value: packages.map((p, i) => expectPackageName(p, `packages[${i}]`)) };
  else throw new UsageError('give --affected NAME, --group NS/NAME or --packages a,b');
  const wave = await withDatabase(async ({ db }, config) => planWave(db, {
    collection: a.positionals[0]!, target, description: a.string('description') ?? '', by: by(a.string('by')),
  }, config.maxConcurrentBuilds));
  if (a.flag('json')) console.log(JSON.stringify(wave, null, 2));
  else {
    printDetail(wave);
    console.log(`start it with: ripple wave start ${wave.id}`);
  }
});

const transition = (action: WaveAction) => (args: string[]) => runCommand({
  name: `wave ${action}`, help: `usage: ripple wave ${action} <id> [--by USER]`, positionals: { min: 1, max: 1 }, options: { by: { type: 'string' } },
}, args, async (a) => {
  const id = parseInteger(a.positionals[0]!, 'the wave id');
  const wave = await withDatabase(async ({ db }) => transitionWave(db, id, action, by(a.string('by'))));
  console.log(summaryLines(wave).join('\n'));
});

const show = (args: string[]) => runCommand({
  name: 'wave show', help: 'usage: ripple wave show <id> [--json]', positionals: { min: 1, max: 1 }, options: { json: { type: 'boolean' } },
}, args, async (a) => {
  const id = parseInteger(a.positionals[0]!, 'the wave id');
  const wave = await withDatabase(async ({ db }) => waveDetail(db, id));
  if (a.flag('json')) console.log(JSON.stringify(wave, null, 2));
  else printDetail(wave);
});

const list = (args: string[]) => runCommand({
  name: 'wave list', help: `usage: ripple wave list [--collection C] [--state ${waveStates.join('|')}]`,
  options: { collection: { type: 'string' }, state: { type: 'string' } },
}, args, async (a) => {
  const state = a.string('state');
  if (state !== undefined && !waveStates.includes(state as WaveSummary['state'])) throw new UsageError(`--state must be one of ${waveStates.join(', ')}, got '${state}'`);
  const waves = await withDatabase(async ({ db }) => listWaves(db, { collection: a.string('collection'), state: state as WaveSummary['state'] | undefined }));
  if (waves.length === 0) {
    console.log('no waves; plan one with ripple wave plan');
    return;
  }
  console.log(formatTable(['id', 'collection', 'state', 'target', 'batch', 'built', 'failed', 'blocked', 'pending', 'expected'], waves.map((w) => [
    w.id, w.collection, w.state, `${w.target.kind} ${Array.isArray(w.target.value) ? `${w.target.value.length} packages` : w.target.value}`,
    w.currentBatch === null ? '' : `${w.currentBatch + 1}/${w.batchCount}`, w.counts.built, w.counts.failed, w.counts.blocked,
    w.counts.pending + w.counts.queued + w.counts.building, duration(w.estimate.expectedSeconds),
  ])));
});

export const run = (args: string[]) => dispatch('wave', help, {
  plan, start: transition('start'), pause: transition('pause'), resume: transition('resume'), cancel: transition('cancel'), show, list,
}, args);
