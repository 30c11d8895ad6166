/** The API shapes the UI reads (as /openapi.json describes them; only the fields used here). */
export type PackageState = 'ok' | 'failing' | 'unresolved' | 'blocked' | 'untracked' | 'unknown';
export const packageStates: PackageState[] = ['ok', 'failing', 'unresolved', 'blocked', 'untracked', 'unknown'];

export interface Me {
  user: { name: string; isAdmin: boolean };
  scopes: ('admin' | 'maintainer' | 'ci')[];
}

export interface Collection {
  name: string;
  displayName: string;
  format: string;
  architectures: string[];
  paused: boolean;
  state: 'new' | 'ok' | 'unresolved' | 'error';
  lastError: string | null;
  lastErrorAt: string | null;
  currentSnapshotId: number | null;
  regenerateRequestedAt: string | null;
  priorityCoefficient: number;
  createdAt: string;
  packageCounts?: Partial<Record<PackageState, number>>;
}

export interface Snapshot {
  sequence: number;
  state: string;
  createdAt: string;
  activatedAt: string | null;
  error: string | null;
  baseResolved: boolean | null;
  binaries: number | null;
  sources: number | null;
  unresolved: number | null;
  changed: number | null;
  durationMs: number | null;
}

export interface History {
  points: { at: string; states: Record<PackageState, number>; queued: number; running: number }[];
}

export interface PackageSummary {
  collection: string;
  name: string;
  state: PackageState;
  stateSince: string;
  resolved: boolean | null;
  tracked: boolean;
  blocked: boolean;
  manualPriority: number;
  staticPriority: number;
  snoozeUntil: string | null;
}

export interface Binary { name: string; evr: string; arch: string; nevra: string }
export interface DependencyChange { dependency: string; kind: string; distance: number | null; previous: Binary | null; current: Binary | null }
export interface RootCause { transition: string; summary: string; causes: { explanation: string }[] }
export interface Problem { sentences: string[] }

export interface PackageDetail {
  collection: string;
  name: string;
  flags: { tracked: boolean; blocked: boolean; manualPriority: number; staticPriority: number; snoozeUntil: string | null };
  state: PackageState;
  stateSince: string;
  stateSnapshotSequence: number | null;
  resolved: boolean | null;
  groups: string[];
  resolution: null | {
    snapshotSequence: number; resolved: boolean; problems: Problem[]; rootCause: RootCause | null; at: string;
    buildroot: (Binary & { distance: number | null; base: boolean })[];
  };
  dependencyChanges: { previousResolution: DependencyChange[]; lastBuild: DependencyChange[] };
  stateHistory: { previousState: PackageState | null; state: PackageState; reason: string; at: string; snapshotSequence: number | null }[];
}

export interface Schedule {
  threshold: number;
  priority: Record<'manual' | 'static' | 'dependency' | 'build' | 'retry' | 'time' | 'coefficient' | 'total', number>;
  notScheduledBecause: string[];
  activeBuild: { id: number; state: string } | null;
  lastBuild: { id: number; outcome: string | null; finishedAt: string | null } | null;
}

export interface Build {
  id: number;
  collection: string;
  package: string;
  snapshot: number;
  backend: string;
  arch: string | null;
  state: string;
  reason: { kind: string };
  priority: number;
  attempt: number;
  worker: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  outcome: string | null;
  error: string | null;
  logUrl: string;
}

export interface Builder {
  name: string; backend: string; arches: string[]; capacity: number; draining: boolean; lastSeen: string; running: number;
}

export interface Result {
  id: number; testcase: { name: string }; outcome: string; note: string | null; submit_time: string; data: Record<string, string[]>;
}

export interface Waiver {
  id: number; testcase: string; scenario: string | null; username: string; comment: string; waived: boolean; timestamp: string; product_version: string;
}

export interface Decision {
  policies_satisfied: boolean;
  summary: string;
  unsatisfied_requirements: { type: string; testcase: string }[];
  satisfied_requirements: { type: string; testcase: string }[];
}

export interface Group { namespace: string | null; name: string; description: string }
export interface GroupDetail extends Group {
  members: string[];
  maintainers: string[];
  packages: { name: string; states: Record<string, { state: PackageState; since: string }> }[];
}

export interface Subscription { id: number; group: string | null; package: string | null; types: string[] }

export interface RippleEvent {
  id: number;
  type: string;
  occurred_at: string;
  collection: string | null;
  package: string | null;
  payload: Record<string, unknown>;
}
