/**
 * Koschei's priority model (docs/scheduling.md has the worked example):
 *
 *   priority = manual + static + (dependency + build + retry + time) x collection coefficient
 *   dependency = sum over unapplied dependency changes of 256 / (distance or 8)
 *   build      = 200 after a build failed following a non-failed one
 *   time       = max(a*log10(hours since last build) + b, -30), a = threshold / (log10 t1 - log10 t0), b = -a*log10 t0
 *
 * `retry` is Ripple's addition (Hydra's users ask for it): a failing package whose dependencies
 * changed since its failed build may have been repaired by that change, so it goes first.
 */
import type { Config } from '../config.ts';
import type { BuildOutcome } from '../db/schema.ts';

export interface PriorityConfig {
  threshold: number;
  dependencyChangePriority: number;
  unknownDistance: number;
  failedBuildPriority: number;
  failedDependencyChangePriority: number;
  t0Hours: number;
  t1Hours: number;
  timeMinimum: number;
}

export const priorityConfig = (config: Config): PriorityConfig => ({
  threshold: config.priorityThreshold,
  dependencyChangePriority: config.dependencyChangePriority,
  unknownDistance: config.unknownDistance,
  failedBuildPriority: config.failedBuildPriority,
  failedDependencyChangePriority: config.failedDependencyChangePriority,
  t0Hours: config.timePriorityT0Hours,
  t1Hours: config.timePriorityT1Hours,
  timeMinimum: config.timePriorityMinimum,
});

export interface PriorityInputs {
  manual: number;
  static: number;
  coefficient: number;
  /** Since the last finished build (or since the package was added, when never built). */
  hoursSinceLastBuild: number;
  /** Distances of the unapplied dependency changes (null: unknown / base buildroot). */
  changeDistances: readonly (number | null)[];
  /** Outcome of the last finished build, null when there is none. */
  lastOutcome: BuildOutcome | null;
}

export interface PriorityBreakdown {
  manual: number;
  static: number;
  dependency: number;
  build: number;
  retry: number;
  time: number;
  coefficient: number;
  total: number;
}

/** Failures following a non-failed build (or with nothing before them): Koschei's failed-build trigger. */
const freshFailures: readonly BuildOutcome[] = ['regression', 'failed'];
const failures: readonly BuildOutcome[] = ['regression', 'failed', 'still-failing'];

/** The time priority's a and b (above). */
export function timeCurve(config: PriorityConfig): { a: number; b: number } {
  const a = config.threshold / (Math.log10(config.t1Hours) - Math.log10(config.t0Hours));
  return { a, b: -a * Math.log10(config.t0Hours) };
}

export function timePriority(hours: number, config: PriorityConfig): number {
  const { a, b } = timeCurve(config);
  // log10(0) is -Infinity: a build that just finished clamps to the minimum.
  return Math.max(a * Math.log10(Math.max(hours, 0)) + b, config.timeMinimum);
}

export function dependencyPriority(distances: readonly (number | null)[], config: PriorityConfig): number {
  return distances.reduce<number>((sum, d) => sum + config.dependencyChangePriority / (d ?? config.unknownDistance), 0);
}

export function computePriority(inputs: PriorityInputs, config: PriorityConfig): PriorityBreakdown {
  const dependency = dependencyPriority(inputs.changeDistances, config);
  const build = inputs.lastOutcome && freshFailures.includes(inputs.lastOutcome) ? config.failedBuildPriority : 0;
  const retry = inputs.lastOutcome && failures.includes(inputs.lastOutcome) && inputs.changeDistances.length > 0 ? config.failedDependencyChangePriority : 0;
  const time = timePriority(inputs.hoursSinceLastBuild, config);
  const total = inputs.manual + inputs.static + (dependency + build + retry + time) * inputs.coefficient;
  return { manual: inputs.manual, static: inputs.static, dependency, build, retry, time, coefficient: inputs.coefficient, total: Math.round(total) };
}
