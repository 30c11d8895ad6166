/**
 * The one `ripple` binary. Each subcommand lives in src/cli/<name>-command.ts and exports
 * `run(args: string[]): Promise<number | void>`; loading them lazily keeps `ripple --help` instant.
 */
import { RippleError } from './errors.ts';

const commands: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number | void> }> }> = {
  resolve: { summary: 'resolve buildroots of sources in repositories: ripple resolve <repo|overlay...> [source...]', load: () => import('./cli/resolve-command.ts') },
  serve: { summary: 'run the service (HTTP API and repository watcher): ripple serve [--roles api,watcher]', load: () => import('./cli/serve-command.ts') },
  demo: { summary: 'start a demo on the rpm-md fixtures with nothing configured: ripple demo [--port N] [--debian]', load: () => import('./cli/demo-command.ts') },
  'demo-bump': { summary: "simulate a regeneration of the demo's repository: ripple demo-bump [--revert]", load: () => import('./cli/demo-bump-command.ts') },
  migrate: { summary: 'apply pending database migrations', load: () => import('./cli/migrate-command.ts') },
  collection: { summary: 'create, edit, delete or list collections: ripple collection create|edit|delete|list', load: () => import('./cli/collection-command.ts') },
  'add-packages': { summary: 'track sources: ripple add-packages <collection> <name...> | --file PATH | --all-sources', load: () => import('./cli/add-packages-command.ts') },
  group: { summary: 'package groups: ripple group create|add|from-file|list', load: () => import('./cli/group-command.ts') },
  'set-priority': { summary: 'ripple set-priority <collection> <package> <n> [--static]', load: async () => (await import('./cli/package-flag-commands.ts')).setPriority },
  snooze: { summary: 'ripple snooze <collection> <package> <until ISO 8601|off>', load: async () => (await import('./cli/package-flag-commands.ts')).snooze },
  block: { summary: 'ripple block <collection> <package...>', load: async () => (await import('./cli/package-flag-commands.ts')).block },
  unblock: { summary: 'ripple unblock <collection> <package...>', load: async () => (await import('./cli/package-flag-commands.ts')).unblock },
  track: { summary: 'ripple track <collection> <package...>', load: async () => (await import('./cli/package-flag-commands.ts')).track },
  untrack: { summary: 'ripple untrack <collection> <package...>', load: async () => (await import('./cli/package-flag-commands.ts')).untrack },
  regenerate: { summary: 'ask watchers to re-read a collection, or ingest here: ripple regenerate <collection> [--now [--force]]', load: () => import('./cli/regenerate-command.ts') },
  user: { summary: 'ripple user create <name> [--admin] [--email ADDRESS]', load: async () => (await import('./cli/user-command.ts')).user },
  token: { summary: 'ripple token create <user> --scope admin|maintainer|ci [--description TEXT]', load: async () => (await import('./cli/user-command.ts')).token },
  overview: { summary: 'every collection with its state, snapshot and package counts', load: () => import('./cli/overview-command.ts') },
  info: { summary: 'one package: state, buildroot, problems, root cause, changes: ripple info <collection> <package>', load: () => import('./cli/info-command.ts') },
  subscribe: { summary: 'subscriptions and webhooks of maintainers: ripple subscribe add|list|remove|deliveries', load: () => import('./cli/subscribe-command.ts') },
  watch: { summary: "follow a collection's events: ripple watch <collection> [--from ID] [--once]", load: () => import('./cli/watch-command.ts') },
  wave: { summary: 'rebuild waves: ripple wave plan|start|pause|resume|cancel|show|list', load: () => import('./cli/wave-command.ts') },
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return ['usage: ripple <command> [options]', '', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`ripple: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const code = await (await command.load()).run(args);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof RippleError) {
      console.error(`ripple ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
