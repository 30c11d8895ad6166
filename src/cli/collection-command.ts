/**
 * `ripple collection create|edit|delete|list`: collection settings from flags, written through
 * src/collections/service.ts (which validates them and appends the events).
 */
import { resolve } from 'node:path';
import {
  createCollection, deleteCollection, getCollection, listCollections, updateCollection,
} from '../collections/service.ts';
import type { Collection } from '../db/schema.ts';
import { Args, dispatch, runCommand, UsageError, withDatabase } from './command-line.ts';
import { formatTable } from './table.ts';

const settingsHelp = `  --source URL|PATH           repository (repeat for an overlay stack, base first); paths become absolute
  --display-name TEXT         name shown in views
  --arch ARCH[,ARCH]          architectures (default x86_64 for rpm-md, amd64 for debian)
  --base-group ID             rpm-md: base buildroot is this comps group (default build)
  --base-packages a,b         base buildroot is these packages
  --essential                 with --base-packages: plus every Essential: yes package (Debian)
  --weak-deps / --no-weak-deps              install weak dependencies (Recommends) or not
  --first-alternative-only / --all-alternatives   Debian: a | b takes the first (sbuild) or any
  --profiles a,b              Debian build profiles in effect
  --priority-coefficient N    weight of this collection's priorities
  --poll-interval SECONDS     how often the watcher looks at the repositories (at least 60)
  --backend NAME              build backend (e.g. simulation, koji)
  --target NAME               build target of the backend`;

const createHelp = `usage: ripple collection create <name> --format rpm-md|debian --source URL|PATH [--source ...] [options]

${settingsHelp}`;

const editHelp = `usage: ripple collection edit <name> [options]

Changes only the settings given; name and format are fixed.

${settingsHelp}
  --pause / --resume          stop or restart watching the repositories`;

const help = `usage: ripple collection <subcommand>

  create <name> --format rpm-md|debian --source URL|PATH ...   create a collection
  edit <name> [options]                                        change its settings
  delete <name>                                                delete it with its packages and history
  list                                                         list collections

Run 'ripple collection <subcommand> --help' for the options.`;

const settingsOptions = {
  source: { type: 'string', multiple: true },
  'display-name': { type: 'string' },
  arch: { type: 'string', multiple: true },
  'base-group': { type: 'string' },
  'base-packages': { type: 'string' },
  essential: { type: 'boolean' },
  'weak-deps': { type: 'boolean' },
  'no-weak-deps': { type: 'boolean' },
  'first-alternative-only': { type: 'boolean' },
  'all-alternatives': { type: 'boolean' },
  profiles: { type: 'string' },
  'priority-coefficient': { type: 'string' },
  'poll-interval': { type: 'string' },
  backend: { type: 'string' },
  target: { type: 'string' },
} as const;

/** A repository location as stored: URLs unchanged, paths absolute (the service may run elsewhere). */
export const sourceLocation = (location: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : resolve(location));

/**
 * The service's settings body from flags. `previousOptions` (when editing) keeps resolver options
 * that are not given, as the service replaces that column as a whole.
 */
function settingsBody(args: Args, previousOptions: Record<string, unknown> = {}): Record<string, unknown> {
  args.exclusive('base-group', 'base-packages');
  args.exclusive('weak-deps', 'no-weak-deps');
  args.exclusive('first-alternative-only', 'all-alternatives');
  if (args.flag('essential') && args.string('base-packages') === undefined) throw new UsageError('--essential needs --base-packages');
  const body: Record<string, unknown> = {};
  const sources = args.all('source');
  if (sources.length) body.sources = sources.map((s) => ({ url: sourceLocation(s) }));
  if (args.string('display-name') !== undefined) body.displayName = args.string('display-name');
  if (args.list('arch') !== undefined) body.architectures = args.list('arch');
  if (args.string('base-group') !== undefined) body.baseBuildroot = { group: args.string('base-group') };
  if (args.string('base-packages') !== undefined) {
    body.baseBuildroot = { packages: args.list('base-packages'), ...(args.flag('essential') ? { essential: true } : {}) };
  }
  const options: Record<string, unknown> = {};
  if (args.flag('weak-deps') || args.flag('no-weak-deps')) options.weakDependencies = args.flag('weak-deps');
  if (args.flag('first-alternative-only') || args.flag('all-alternatives')) options.firstAlternativeOnly = args.flag('first-alternative-only');
  if (args.list('profiles') !== undefined) options.profiles = args.list('profiles');
  if (Object.keys(options).length) body.resolverOptions = { ...previousOptions, ...options };
  if (args.string('priority-coefficient') !== undefined) body.priorityCoefficient = args.number('priority-coefficient');
  if (args.string('poll-interval') !== undefined) body.pollIntervalSeconds = args.integer('poll-interval');
  if (args.string('backend') !== undefined) body.buildBackend = args.string('backend');
  if (args.string('target') !== undefined) body.buildTarget = args.string('target');
  return body;
}

const sourceUrls = (c: Collection) => (c.sources as { url?: string }[]).map((s) => s.url ?? String(s));

export function describeCollection(c: Collection): string {
  const base = c.base_buildroot;
  const baseText = typeof base.group === 'string' ? `group ${base.group}`
    : Array.isArray(base.packages) ? `${(base.packages as string[]).join(', ')}${base.essential ? ' + Essential' : ''}` : 'default';
  return [
    `${c.name} (${c.format}${c.paused ? ', paused' : ''}): ${c.display_name}`,
    `  sources: ${sourceUrls(c).join(' + ')}`,
    `  architectures: ${c.architectures.join(', ') || 'default'}; base buildroot: ${baseText}; resolver options: ${JSON.stringify(c.resolver_options)}`,
    `  backend ${c.build_backend}${c.build_target ? ` target ${c.build_target}` : ''}; priority coefficient ${c.priority_coefficient}; polled every ${c.poll_interval_seconds} s`,
  ].join('\n');
}

const create = (args: string[]) => runCommand({
  name: 'collection create', help: createHelp, positionals: { min: 1 },
  options: { ...settingsOptions, format: { type: 'string' } },
}, args, async (a) => {
  const format = a.string('format');
  if (format === undefined) throw new UsageError('--format rpm-md|debian is required');
  if (a.all('source').length === 0) throw new UsageError('at least one --source is required');
  const body = { name: a.positionals[0], format, ...settingsBody(a) };
  const created = await withDatabase(({ db }) => createCollection(db, body));
  console.log(`created collection ${describeCollection(created)}`);
});

const edit = (args: string[]) => runCommand({
  name: 'collection edit', help: editHelp, positionals: { min: 1 },
  options: { ...settingsOptions, pause: { type: 'boolean' }, resume: { type: 'boolean' } },
}, args, async (a) => {
  a.exclusive('pause', 'resume');
  const name = a.positionals[0]!;
  const updated = await withDatabase(async ({ db }) => {
    const body = settingsBody(a, (await getCollection(db, name)).resolver_options);
    if (a.flag('pause') || a.flag('resume')) body.paused = a.flag('pause');
    if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one option');
    return updateCollection(db, name, body);
  });
  console.log(`updated collection ${describeCollection(updated)}`);
});

const remove = (args: string[]) => runCommand({
  name: 'collection delete', help: 'usage: ripple collection delete <name>\n\nDeletes the collection with its snapshots, packages and history.', positionals: { min: 1 },
}, args, async (a) => {
  await withDatabase(({ db }) => deleteCollection(db, a.positionals[0]!));
  console.log(`deleted collection ${a.positionals[0]}`);
});

const list = (args: string[]) => runCommand({ name: 'collection list', help: 'usage: ripple collection list' }, args, async () => {
  const collections = await withDatabase(({ db }) => listCollections(db));
  if (collections.length === 0) {
    console.log('no collections yet; create one with ripple collection create');
    return;
  }
  console.log(formatTable(['name', 'format', 'arch', 'state', 'paused', 'sources'], collections.map((c) => [
    c.name, c.format, c.architectures.join(','), c.state, c.paused ? 'yes' : '', sourceUrls(c).join(' + '),
  ])));
});

export const run = (args: string[]) => dispatch('collection', help, { create, edit, delete: remove, list }, args);
