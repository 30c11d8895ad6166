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
