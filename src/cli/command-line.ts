/**
 * What every `ripple` subcommand shares: option parsing with `--help`, usage errors (printed with
 * the command's help, exit 2, where RippleErrors exit 1 through main.ts), subcommand dispatch, and
 * the service database opened from the environment's configuration.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { ErrorCode, RippleError } from '../errors.ts';

/** A malformed command line: exit status 2 with the command's help. */
export class UsageError extends Error {}

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

export interface CommandSpec {
  /** As typed after `ripple`, e.g. `collection create`; prefixes messages. */
  name: string;
  help: string;
  options?: Record<string, OptionSpec>;
  /** How many positional arguments the command takes (default none). */
  positionals?: { min?: number; max?: number };
}

/** Parsed arguments with typed accessors; every accessor turns a bad value into a UsageError. */
export class Args {
  constructor(
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>,
  ) {}

  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A repeatable option, every occurrence. */
  all(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  }

  /** Comma-separated values, also across repeated occurrences (`--arch a,b --arch c`). */
  list(name: string): string[] | undefined {
    if (this.values[name] === undefined) return undefined;
    return this.all(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  }

  integer(name: string): number | undefined {
    const text = this.string(name);
    return text === undefined ? undefined : parseInteger(text, `--${name}`);
  }

  number(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got '${text}'`);
    return value;
  }

  /** Throws unless at most one of the given flags is set. */
  exclusive(...names: string[]): void {
    const given = names.filter((n) => this.values[n] !== undefined && this.values[n] !== false);
    if (given.length > 1) throw new UsageError(`${given.map((n) => `--${n}`).join(' and ')} exclude each other`);
  }
}

export function parseInteger(text: string, what: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${what} must be an integer, got '${text}'`);
  return Number(text);
}

function usageFailure(spec: Pick<CommandSpec, 'name' | 'help'>, message: string): number {
  console.error(`ripple ${spec.name}: ${message}\n\n${spec.help}`);
  return 2;
}

/**
 * Parses `args` by `spec` and runs `body`. `--help` prints the help (exit 0); an unknown option,
 * a wrong number of positionals or a UsageError thrown by `body` prints the help to stderr (exit 2).
 */
export async function runCommand(spec: CommandSpec, args: string[], body: (args: Args) => Promise<number | void>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageFailure(spec, (error as Error).message);
  }
  if (parsed.values.help) {
    console.log(spec.help);
    return 0;
  }
  const { min = 0, max = min } = spec.positionals ?? {};
  const count = parsed.positionals.length;
  if (count < min) return usageFailure(spec, `expected ${min === max ? min : `at least ${min}`} argument${min === 1 ? '' : 's'}, got ${count}`);
  if (count > max) return usageFailure(spec, `unexpected argument '${parsed.positionals[max]}'`);
  try {
    return (await body(new Args(parsed.positionals, parsed.values))) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(spec, error.message);
    throw error;
  }
}

export type Subcommand = (args: string[]) => Promise<number>;

/** `ripple <name> <subcommand> ...`: runs the named subcommand, or prints `help`. */
export async function dispatch(name: string, help: string, subcommands: Record<string, Subcommand>, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(help);
    return 0;
  }
  if (sub === undefined) return usageFailure({ name, help }, 'missing subcommand');
  const run = subcommands[sub];
  if (!run) return usageFailure({ name, help }, `unknown subcommand '${sub}'`);
  return run(rest);
}

/**
 * Takes `<dataDir>/pglite.pid` for this process. PGlite is a database inside one process: a second
 * process writing the same files would corrupt them, so it gets an error naming the holder instead.
 * A lock whose process is gone is stale and taken over.
 */
function lockEmbeddedDatabase(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'pglite.pid');
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && processExists(holder)) {
      throw new RippleError(ErrorCode.Conflict, `the embedded database in ${dataDir} is in use by process ${holder} (a running ripple serve or demo?); stop it first, or set DATABASE_URL to share a PostgreSQL database between processes`, { file });
    }
    rmSync(file, { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens the configured database (PostgreSQL, or the embedded one locked to this process). */
export async function openServiceDatabase(config: Config, options: { migrate?: boolean } = {}): Promise<Database> {
  const release = config.databaseUrl ? undefined : lockEmbeddedDatabase(config.dataDir);
  try {
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, migrate: options.migrate });
    return {
      ...database,
      async close() {
        try {
          await database.close();
        } finally {
          release?.();
        }
      },
    };
  } catch (error) {
    release?.();
    throw error;
  }
}

/** Opens the configured database (migrating it), runs `work`, and closes it whatever happens. */
export async function withDatabase<T>(work: (database: Database, config: Config) => Promise<T>, config: Config = loadConfig()): Promise<T> {
  const database = await openServiceDatabase(config);
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}

/** `find`'s value, or undefined when it reports "not found" (for create-if-missing steps). */
export async function unlessNotFound<T>(find: Promise<T>): Promise<T | undefined> {
  try {
    return await find;
  } catch (error) {
    if (error instanceof RippleError && error.code === ErrorCode.NotFound) return undefined;
    throw error;
  }
}

/** Resolves when the process receives SIGINT or SIGTERM (long-running commands stop cleanly then). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
