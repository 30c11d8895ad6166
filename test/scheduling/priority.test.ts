/** Koschei's priority model, with the numbers of its worked example and the configured defaults. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.ts';
import { computePriority, priorityConfig, timePriority, type PriorityInputs } from '../../src/scheduling/priority.ts';

const config = priorityConfig(loadConfig({}));
const close = (actual: number, expected: number, tolerance: number, label: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual} is not ${expected} +- ${tolerance}`);

test('defaults are Koschei\'s', () => {
  assert.equal(config, { threshold: 256, dependencyChangePriority: 256, unknownDistance: 8, failedBuildPriority: 200,
    failedDependencyChangePriority: 256, t0Hours: 6, t1Hours: 168, timeMinimum: -30 });
});

const timeCases: [hours: number, expected: number, tolerance: number][] = [
  [6, 0, 1e-9], [24, 106, 1], [168, 256, 1e-9], [1, -30, 0], [0, -30, 0], [336, 256 + 176.9 * Math.log10(2), 0.5],
];
for (const [hours, expected, tolerance] of timeCases) {
  test(`time priority after ${hours} h is ${expected.toFixed(1)}`, () => close(timePriority(hours, config), expected, tolerance, `${hours} h`));
}

const base: PriorityInputs = { manual: 0, static: 0, coefficient: 1, hoursSinceLastBuild: 6, changeDistances: [], lastOutcome: null };
const cases: [name: string, inputs: Partial<PriorityInputs>, expected: Partial<ReturnType<typeof computePriority>>][] = [
  ['nothing changed, built 6 h ago', {}, { total: 0, dependency: 0, build: 0 }],
  ['a direct dependency changed', { changeDistances: [1] }, { dependency: 256, total: 256 }],
  ['changes at distances 1, 2, 4 and unknown', { changeDistances: [1, 2, 4, null] }, { dependency: 256 + 128 + 64 + 32, total: 480 }],
  ['a build failed after a passed one', { lastOutcome: 'regression' }, { build: 200, retry: 0, total: 200 }],
  ['the first build failed', { lastOutcome: 'failed' }, { build: 200, total: 200 }],
  ['still failing: no failed-build priority', { lastOutcome: 'still-failing' }, { build: 0, total: 0 }],
  ['still failing and a dependency it failed on changed (Hydra)', { lastOutcome: 'still-failing', changeDistances: [3] },
    { build: 0, retry: 256, dependency: 256 / 3, total: Math.round(256 + 256 / 3) }],
  ['passed with a change: no retry priority', { lastOutcome: 'passed', changeDistances: [8] }, { retry: 0, total: 32 }],
  ['manual and static are outside the coefficient', { manual: 3000, static: 10, coefficient: 0.5, changeDistances: [1] }, { total: 3000 + 10 + 128 }],
  ['coefficient 0 silences dynamic priority', { coefficient: 0, hoursSinceLastBuild: 1000, changeDistances: [1] }, { total: 0 }],
  ['one day since the last build (time priority 106.5, rounded)', { hoursSinceLastBuild: 24 }, { total: 107 }],
  ['a week since the last build reaches the threshold', { hoursSinceLastBuild: 168 }, { total: 256 }],
];
for (const [name, inputs, expected] of cases) {
  test(name, () => {
    const breakdown = computePriority({ ...base, ...inputs }, config);
    for (const [key, value] of Object.entries(expected)) close(breakdown[key as keyof typeof breakdown], value, 1e-9, key);
  });
}

test('every constant is configurable', () => {
  const custom = priorityConfig(loadConfig({ RIPPLE_PRIORITY_THRESHOLD: '100', RIPPLE_TIME_PRIORITY_T0_HOURS: '1', RIPPLE_TIME_PRIORITY_T1_HOURS: '10' }));
  close(timePriority(1, custom), 0, 1e-9, 't0');
  close(timePriority(10, custom), 100, 1e-9, 't1');
});

test.run();
