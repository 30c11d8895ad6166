/**
 * Dependency changes between two buildroots of one source: Koschei's set difference on NEVRA,
 * merged per dependency into (previous, current, distance) rows, with the direction of a
 * version move. The same function serves "since the previous resolution" and "since the last
 * build" baselines.
 */

export interface BuildrootEntry {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** null for base members and members beyond the computed distance. */
  distance: number | null;
  /** A member of the base buildroot. */
  base?: boolean;
}

export type ChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded';

export interface DependencyChange {
  name: string;
  kind: ChangeKind;
  previous: BuildrootEntry | null;
  current: BuildrootEntry | null;
  /** The distance in the current buildroot, or in the previous one for removals. */
  distance: number | null;
}

/** Compares two entries of the same package name; negative when a is older. */
export type EntryComparator = (a: BuildrootEntry, b: BuildrootEntry) => number;

const nevra = (e: BuildrootEntry) => `${e.name}-${e.epoch}:${e.version}-${e.release}.${e.arch}`;

export function diffBuildroots(
  previous: readonly BuildrootEntry[],
  current: readonly BuildrootEntry[],
  compare: EntryComparator,
): DependencyChange[] {
  const before = new Set(previous.map(nevra));
  const after = new Set(current.map(nevra));
  const gone = previous.filter((e) => !after.has(nevra(e)));
  const came = current.filter((e) => !before.has(nevra(e)));

  // Pair by name; where a name has several arches (multilib), pair same-arch entries first.
  const changes: DependencyChange[] = [];
  const cameByName = new Map<string, BuildrootEntry[]>();
  for (const entry of came) cameByName.set(entry.name, [...(cameByName.get(entry.name) ?? []), entry]);
  for (const old of gone) {
    const candidates = cameByName.get(old.name) ?? [];
    const index = Math.max(candidates.findIndex((c) => c.arch === old.arch), candidates.length > 0 ? 0 : -1);
    if (index < 0) {
      changes.push({ name: old.name, kind: 'removed', previous: old, current: null, distance: old.distance });
      continue;
    }
    const [now] = candidates.splice(index, 1);
    const kind = compare(old, now!) <= 0 ? 'upgraded' : 'downgraded';
    changes.push({ name: old.name, kind, previous: old, current: now!, distance: now!.distance });
  }
  for (const entries of cameByName.values()) {
    for (const entry of entries) changes.push({ name: entry.name, kind: 'added', previous: null, current: entry, distance: entry.distance });
  }
  return changes.sort((a, b) => (a.distance ?? 1e9) - (b.distance ?? 1e9) || a.name.localeCompare(b.name));
}
