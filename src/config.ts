/**
 * Service configuration. Every option is declared once in `configOptions`: that one table drives
 * parsing, defaults, validation and the reference printed by the README and `ripple config`.
 * Environment variables override defaults; nothing else in the code base reads `process.env` for
 * settings.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cron from 'node-cron';
import { invalidInput } from './errors.ts';
import type { LogLevel } from './log.ts';

interface OptionKinds {
  string: string;
  integer: number;
  number: number;
  boolean: boolean;
}
type OptionKind = keyof OptionKinds;

export interface OptionDeclaration<K extends OptionKind = OptionKind, V = OptionKinds[K]> {
  /** Environment variable that overrides the default. */
  env: string;
  kind: K;
  /** Default value, or a function of the working directory for path-like defaults. */
  default: V | ((cwd: string) => V);
  /** One sentence for the reference table. */
  doc: string;
  /** Extra validation/normalisation after the kind's own parsing; throws a message on bad values. */
  check?: (value: V, cwd: string) => V;
  /** Inclusive range for numeric options. */
  min?: number;
  max?: number;
}

// NoInfer: the value type comes from `kind` (or an explicit V), never from a literal default.
const option = <K extends OptionKind, V extends OptionKinds[K] = OptionKinds[K]>(declaration: OptionDeclaration<K, NoInfer<V>>) =>
  declaration;

const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export const configOptions = {
  databaseUrl: option({
    env: 'DATABASE_URL',
    kind: 'string',
    default: '',
    doc: 'PostgreSQL connection URL (postgres://user@host:port/db); empty runs the embedded PGlite database in <dataDir>/pglite.',
    check: (url) => {
      if (url !== '' && !/^postgres(ql)?:\/\//.test(url)) throw new Error('must start with postgres:// or postgresql://');
      return url;
    },
  }),
  dataDir: option({
    env: 'RIPPLE_DATA_DIR',
    kind: 'string',
    default: (cwd) => resolve(cwd, '.ripple'),
    doc: 'Directory for local state: the embedded database (pglite/), caches and build logs.',
    check: (dir, cwd) => resolve(cwd, dir),
  }),
  httpHost: option({ env: 'RIPPLE_HTTP_HOST', kind: 'string', default: '127.0.0.1', doc: 'Address the HTTP server listens on.' }),
  httpPort: option({ env: 'RIPPLE_HTTP_PORT', kind: 'integer', default: 8080, min: 0, max: 65535, doc: 'TCP port of the HTTP server (0 picks a free port).' }),
  baseUrl: option({
    env: 'RIPPLE_BASE_URL',
    kind: 'string',
    default: '',
    doc: 'Public URL of this instance, used in links in messages and webhooks; empty derives it from httpHost/httpPort.',
    check: (url) => {
      if (url === '') return url;
      try {
        new URL(url);
      } catch {
        throw new Error('must be an absolute URL such as https://ripple.example.org');
      }
      return url.replace(/\/+$/, '');
    },
  }),
  logLevel: option<'string', LogLevel>({
    env: 'RIPPLE_LOG_LEVEL',
    kind: 'string',
    default: 'info',
    doc: `Lowest log level written to stderr: ${logLevels.join(', ')}.`,
    check: (level) => {
      if (!logLevels.includes(level)) throw new Error(`must be one of ${logLevels.join(', ')}`);
      return level;
    },
  }),
  pollCron: option({
    env: 'RIPPLE_POLL_CRON',
    kind: 'string',
    default: '*/5 * * * *',
    doc: 'Cron expression for how often the watcher checks which collections are due for polling.',
    check: (expression) => {
      if (!cron.validate(expression)) throw new Error('is not a valid cron expression');
      return expression;
    },
  }),
  resolverThreads: option({ env: 'RIPPLE_RESOLVER_THREADS', kind: 'integer', default: 2, min: 1, max: 256, doc: 'Worker threads running the libsolv resolver.' }),
  policiesDir: option({
    env: 'RIPPLE_POLICIES_DIR',
    kind: 'string',
    default: () => fileURLToPath(new URL('../policies', import.meta.url)),
    doc: 'Directory of gating policy files (*.yaml, Greenwave `--- !Policy` documents) that decisions are made with.',
    check: (dir, cwd) => resolve(cwd, dir),
  }),
  eventRetentionDays: option({ env: 'RIPPLE_EVENT_RETENTION_DAYS', kind: 'integer', default: 90, min: 1, doc: 'Events older than this are pruned from the event log.' }),
  // Scheduling (src/scheduling): Koschei's priority model and its defaults; see docs/scheduling.md.
  schedulerIntervalSeconds: option({ env: 'RIPPLE_SCHEDULER_INTERVAL_SECONDS', kind: 'number', default: 10, min: 0.05, doc: 'Seconds between scheduler ticks (each tick submits builds up to the caps).' }),
  priorityThreshold: option({ env: 'RIPPLE_PRIORITY_THRESHOLD', kind: 'integer', default: 256, doc: 'A package is scheduled once its priority reaches this (Koschei: 256).' }),
  dependencyChangePriority: option({ env: 'RIPPLE_DEPENDENCY_CHANGE_PRIORITY', kind: 'number', default: 256, min: 0, doc: 'Each unapplied dependency change adds this divided by its distance (8 when the distance is unknown).' }),
  unknownDistance: option({ env: 'RIPPLE_UNKNOWN_DISTANCE', kind: 'integer', default: 8, min: 1, doc: 'Distance assumed for dependency changes beyond the measured distance or in the base buildroot.' }),
  failedBuildPriority: option({ env: 'RIPPLE_FAILED_BUILD_PRIORITY', kind: 'number', default: 200, min: 0, doc: 'Priority after a build fails following a non-failed one (Koschei: 200).' }),
  failedDependencyChangePriority: option({ env: 'RIPPLE_FAILED_DEPENDENCY_CHANGE_PRIORITY', kind: 'number', default: 256, min: 0, doc: 'Extra priority for a failing package once a dependency changed since its failed build (Hydra: retry what a fix may have repaired).' }),
  timePriorityT0Hours: option({ env: 'RIPPLE_TIME_PRIORITY_T0_HOURS', kind: 'number', default: 6, min: 0.001, doc: 'Hours since the last build at which the time priority is 0 (Koschei t0).' }),
  timePriorityT1Hours: option({ env: 'RIPPLE_TIME_PRIORITY_T1_HOURS', kind: 'number', default: 168, min: 0.002, doc: 'Hours since the last build at which the time priority reaches the threshold (Koschei t1).' }),
  timePriorityMinimum: option({ env: 'RIPPLE_TIME_PRIORITY_MINIMUM', kind: 'number', default: -30, doc: 'Lower clamp of the time priority (Koschei: -30).' }),
  manualBuildPriority: option({ env: 'RIPPLE_MANUAL_BUILD_PRIORITY', kind: 'integer', default: 3000, min: 1, doc: 'Manual priority a build request sets; reset to 0 once the build is submitted.' }),
  maxConcurrentBuilds: option({ env: 'RIPPLE_MAX_CONCURRENT_BUILDS', kind: 'integer', default: 30, min: 0, doc: 'Global cap on queued plus running builds (MBS NUM_CONCURRENT_BUILDS, Koschei max_builds).' }),
  backendLoadFactor: option({ env: 'RIPPLE_BACKEND_LOAD_FACTOR', kind: 'number', default: 1, min: 0.01, doc: "A backend takes queued plus running builds up to its live builders' capacity times this." }),
  rebuildPolicyContext: option({
    env: 'RIPPLE_REBUILD_POLICY_CONTEXT',
    kind: 'string',
    default: 'ripple_rebuild_dependents',
    doc: "Gating decision context consulted about a changed package before its dependents are rebuilt (dependency changes and waves; subject ripple_package '<collection>/<package>'); empty disables the check.",
  }),
  // Builders (src/builds).
  buildLeaseSeconds: option({ env: 'RIPPLE_BUILD_LEASE_SECONDS', kind: 'number', default: 120, min: 0.1, doc: 'A running build whose worker has not renewed its lease for this long goes back to the queue.' }),
  buildTimeoutSeconds: option({ env: 'RIPPLE_BUILD_TIMEOUT_SECONDS', kind: 'number', default: 4 * 3600, min: 0.1, doc: 'A build running longer (the local build command, or a Koji task, canceled on the hub) is stopped and retried as an infrastructure failure.' }),
  buildMaxAttempts: option({ env: 'RIPPLE_BUILD_MAX_ATTEMPTS', kind: 'integer', default: 3, min: 1, doc: 'Attempts of a build before infrastructure failures make it infra-failed (never the package failing).' }),
  buildRetryBackoffSeconds: option({ env: 'RIPPLE_BUILD_RETRY_BACKOFF_SECONDS', kind: 'number', default: 60, min: 0, doc: 'Wait before the first retry after an infrastructure failure; doubles for each further attempt.' }),
  buildCommand: option({
    env: 'RIPPLE_BUILD_COMMAND',
    kind: 'string',
    default: 'rpmbuild --rebuild {srpm} --define "_topdir {workdir}"',
    doc: 'Command a local builder runs per build (sh -c); {srpm}, {workdir}, {package}, {arch} expand to the values (passed as environment variables, safe inside or outside quotes).',
  }),
  builderName: option({ env: 'RIPPLE_BUILDER_NAME', kind: 'string', default: '', doc: 'Name a builder registers under; empty uses <host>:<pid>.' }),
  builderBackend: option<'string', 'local' | 'simulation' | 'koji'>({
    env: 'RIPPLE_BUILDER_BACKEND',
    kind: 'string',
    default: 'local',
    doc: 'What a builder runs: local (the build command), simulation (deterministic fake builds) or koji (scratch builds on the Koji hub, RIPPLE_KOJI_*).',
    check: (backend) => {
      if (backend !== 'local' && backend !== 'simulation' && backend !== 'koji') throw new Error('must be local, simulation or koji');
      return backend;
    },
  }),
  builderArches: option({ env: 'RIPPLE_BUILDER_ARCHES', kind: 'string', default: 'x86_64,noarch', doc: 'Comma-separated architectures a builder serves.' }),
  builderCapacity: option({ env: 'RIPPLE_BUILDER_CAPACITY', kind: 'integer', default: 1, min: 1, max: 1024, doc: 'Builds one builder runs at once (a koji builder: most tasks it keeps on the hub, further limited by the hub load).' }),
  simulationSeed: option({ env: 'RIPPLE_SIMULATION_SEED', kind: 'integer', default: 1, doc: 'Seed of the simulation backend: durations and outcomes are a function of it and the package name.' }),
  simulationTimeScale: option({ env: 'RIPPLE_SIMULATION_TIME_SCALE', kind: 'number', default: 0.001, min: 0, doc: 'Wall-clock seconds a simulated build takes per simulated second (0: instantly).' }),
  // Koji backend (src/builds/koji-backend.ts; docs/scheduling.md "Koji backend").
  kojiHubUrl: option({
    env: 'RIPPLE_KOJI_HUB_URL',
    kind: 'string',
    default: '',
    doc: 'XML-RPC URL of the Koji hub a koji builder submits scratch builds to (https://koji.example.org/kojihub).',
    check: (url) => {
      if (url !== '' && !/^https?:\/\/[^/]/.test(url)) throw new Error('must be an http:// or https:// URL');
      return url.replace(/\/+$/, '');
    },
  }),
  kojiUser: option({ env: 'RIPPLE_KOJI_USER', kind: 'string', default: '', doc: 'Koji user for password login (the hub method login); ignored when RIPPLE_KOJI_CLIENT_CERT is set.' }),
  kojiPassword: option({ env: 'RIPPLE_KOJI_PASSWORD', kind: 'string', default: '', doc: 'Password of RIPPLE_KOJI_USER.' }),
  kojiClientCert: option({ env: 'RIPPLE_KOJI_CLIENT_CERT', kind: 'string', default: '', doc: 'PEM client certificate (with its key unless RIPPLE_KOJI_CLIENT_KEY is set) for sslLogin over https; takes precedence over password login.' }),
  kojiClientKey: option({ env: 'RIPPLE_KOJI_CLIENT_KEY', kind: 'string', default: '', doc: 'PEM private key of RIPPLE_KOJI_CLIENT_CERT when it is a file of its own.' }),
  kojiServerCa: option({ env: 'RIPPLE_KOJI_SERVER_CA', kind: 'string', default: '', doc: "CA bundle the hub's certificate is verified against; empty uses the system's." }),
  kojiTimeoutSeconds: option({ env: 'RIPPLE_KOJI_TIMEOUT_SECONDS', kind: 'number', default: 120, min: 0.1, doc: 'Time the hub has to answer one XML-RPC call; no answer is an infrastructure failure.' }),
  kojiPollSeconds: option({ env: 'RIPPLE_KOJI_POLL_SECONDS', kind: 'number', default: 30, min: 0.05, doc: "Seconds between a koji builder's polls of the hub: task states (the reconciler), host load, new submissions." }),
  kojiSrpmPathRoot: option({ env: 'RIPPLE_KOJI_SRPM_PATH_ROOT', kind: 'string', default: '..', doc: "Prefix that makes a build's SRPM path (packages/<name>/<version>/<release>/src/...) relative to the hub's work directory, the source passed to build() (Koschei's srpm_relative_path_root)." }),
  kojiChannel: option({ env: 'RIPPLE_KOJI_CHANNEL', kind: 'string', default: 'default', doc: 'Koji channel whose hosts count as capacity.' }),
  kojiLoadThreshold: option({ env: 'RIPPLE_KOJI_LOAD_THRESHOLD', kind: 'number', default: 0.5, min: 0.01, max: 1, doc: "Share of the channel's host capacity Ripple may fill: no new builds while task load / capacity is above this for any served arch (Koschei: 0.5)." }),
  kojiBuildLoad: option({ env: 'RIPPLE_KOJI_BUILD_LOAD', kind: 'number', default: 1.5, min: 0.01, doc: 'Task load one scratch build is assumed to add on the hub (the weight of its buildArch task), to turn free load into a number of builds.' }),
  kojiTaskPriority: option({ env: 'RIPPLE_KOJI_TASK_PRIORITY', kind: 'integer', default: 30, min: 0, doc: 'Priority passed to build() (lower runs sooner; Koschei submits at 30, below interactive builds).' }),
  eventPollMs: option({ env: 'RIPPLE_EVENT_POLL_MS', kind: 'integer', default: 2000, min: 10, doc: 'How often each instance reads the event log even without a NOTIFY (a dropped notification delays events by at most this).' }),
  eventBufferEvents: option({ env: 'RIPPLE_EVENT_BUFFER_EVENTS', kind: 'integer', default: 10_000, min: 0, doc: 'Recent events each instance keeps in memory so resuming websocket clients replay without a query (up to twice this many are held).' }),
  wsHeartbeatSeconds: option({ env: 'RIPPLE_WS_HEARTBEAT_SECONDS', kind: 'number', default: 30, min: 0.05, doc: 'Interval of websocket pings and heartbeat messages; a client that missed a whole interval without a pong is dropped.' }),
  wsMaxBufferedEvents: option({ env: 'RIPPLE_WS_MAX_BUFFERED_EVENTS', kind: 'integer', default: 1000, min: 1, doc: 'Events a websocket client may have unsent before it is closed (code 4008, with its resume id).' }),
  webhookMaxAttempts: option({ env: 'RIPPLE_WEBHOOK_MAX_ATTEMPTS', kind: 'integer', default: 8, min: 1, max: 50, doc: 'POSTs of one webhook delivery before it is marked failed.' }),
  webhookBackoffSeconds: option({ env: 'RIPPLE_WEBHOOK_BACKOFF_SECONDS', kind: 'number', default: 30, min: 0.01, doc: 'Wait after the first failed webhook attempt; it doubles after each further failure (capped at 6 hours).' }),
  webhookTimeoutSeconds: option({ env: 'RIPPLE_WEBHOOK_TIMEOUT_SECONDS', kind: 'number', default: 10, min: 0.1, doc: 'Time a webhook receiver has to answer one POST.' }),
  amqpUrl: option({ env: 'RIPPLE_AMQP_URL', kind: 'string', default: '', doc: 'AMQP broker to publish every event to (amqp://user:pass@host:5672); empty disables publication.' }),
  amqpExchange: option({ env: 'RIPPLE_AMQP_EXCHANGE', kind: 'string', default: 'ripple', doc: "Topic exchange events are published to, with routing key 'ripple.<event type>'." }),
};

type OptionValue<D> = D extends OptionDeclaration<OptionKind, infer V> ? V : never;
export type Config = { readonly [N in keyof typeof configOptions]: OptionValue<(typeof configOptions)[N]> };
export type ConfigName = keyof typeof configOptions;

function parseKind(kind: OptionKind, raw: string): string | number | boolean {
  switch (kind) {
    case 'string':
      return raw;
    case 'integer':
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be an integer');
      return Number(raw);
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new Error('must be a number');
      return value;
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new Error('must be true or false');
  }
}

/**
 * Reads every option from `env` (default `process.env`), falling back to its default.
 * Throws `invalidInput` whose field and message name the offending environment variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const values: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(configOptions) as [string, OptionDeclaration<OptionKind, any>][]) {
    const raw = env[declaration.env];
    if (raw === undefined) {
      values[name] = typeof declaration.default === 'function' ? declaration.default(cwd) : declaration.default;
      continue;
    }
    try {
      let value = parseKind(declaration.kind, raw);
      if (typeof value === 'number') {
        if (declaration.min !== undefined && value < declaration.min) throw new Error(`must be at least ${declaration.min}`);
        if (declaration.max !== undefined && value > declaration.max) throw new Error(`must be at most ${declaration.max}`);
      }
      if (declaration.check) value = declaration.check(value, cwd);
      values[name] = value;
    } catch (error) {
      throw invalidInput(declaration.env, `${declaration.env}=${JSON.stringify(raw)} ${(error as Error).message}`);
    }
  }
  return Object.freeze(values) as Config;
}

/** Rows for a reference table: variable, kind, default (as text) and description. */
export function configReference(cwd = process.cwd()): { env: string; name: ConfigName; kind: OptionKind; default: string; doc: string }[] {
  return (Object.entries(configOptions) as [ConfigName, OptionDeclaration<OptionKind, any>][]).map(([name, d]) => ({
    env: d.env,
    name,
    kind: d.kind,
    default: String(typeof d.default === 'function' ? d.default(cwd) : d.default),
    doc: d.doc,
  }));
}
