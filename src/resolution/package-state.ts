/**
 * Koschei's package states, first match wins: blocked, untracked, unresolved, then the outcome of
 * the last complete build (ok / failing), else unknown.
 */
import type { PackageState } from '../db/schema.ts';

export interface StateInputs {
  blocked: boolean;
  tracked: boolean;
  /** null = not resolved yet. */
  resolved: boolean | null;
  /** The state before this change; ok/failing carry the last build's outcome until builds say otherwise. */
  previous: PackageState;
}

export function packageState({ blocked, tracked, resolved, previous }: StateInputs): PackageState {
  if (blocked) return 'blocked';
  if (!tracked) return 'untracked';
  if (resolved === false) return 'unresolved';
  return previous === 'ok' || previous === 'failing' ? previous : 'unknown';
}
