/**
 * Commands that set one flag of packages: `set-priority`, `snooze`, `block`/`unblock`,
 * `track`/`untrack`. Each export is a command (`{ run }`) for main.ts's table; all go through
 * setPackageFlags, which validates and appends the events.
 */
import { setPackageFlags } from '../collections/service.ts';
import { parseInteger, runCommand, withDatabase } from './command-line.ts';

async function setFlags(collection: string, packages: string[], flags: Record<string, unknown>): Promise<void> {
  await withDatabase(async ({ db }) => {
    for (const name of packages) await setPackageFlags(db, collection, name, flags);
  });
}

/** `<command> <collection> <package...>`: sets `flags` on every named package. */
function toggle(name: string, flags: Record<string, unknown>, meaning: string) {
  const help = `usage: ripple ${name} <collection> <package...>\n\n${meaning}`;
  return {
    run: (args: string[]) => runCommand({ name, help, positionals: { min: 2, max: Infinity } }, args, async (a) => {
      const [collection, ...packages] = a.positionals as [string, ...string[]];
      await setFlags(collection, packages, flags);
      console.log(`${name}: ${packages.join(' ')} in ${collection}`);
    }),
  };
}

export const block = toggle('block', { blocked: true }, 'Blocks packages: they stay in the collection but are never scheduled.');
export const unblock = toggle('unblock', { blocked: false }, 'Lifts a block.');
export const track = toggle('track', { tracked: true }, 'Tracks packages again (their buildroots are resolved and followed).');
export const untrack = toggle('untrack', { tracked: false }, 'Stops tracking packages without removing them.');

export const setPriority = {
  run: (args: string[]) => runCommand({
    name: 'set-priority',
    help: 'usage: ripple set-priority <collection> <package> <n> [--static]\n\nSets the manual priority of a package, or with --static its static priority.',
    positionals: { min: 3 }, options: { static: { type: 'boolean' } },
  }, args, async (a) => {
    const [collection, name, text] = a.positionals as [string, string, string];
    const priority = parseInteger(text, 'priority');
    await setFlags(collection, [name], a.flag('static') ? { staticPriority: priority } : { manualPriority: priority });
    console.log(`${a.flag('static') ? 'static' : 'manual'} priority of ${name} in ${collection} is now ${priority}`);
  }),
};

export const snooze = {
  run: (args: string[]) => runCommand({
    name: 'snooze',
    help: 'usage: ripple snooze <collection> <package> <until>\n\nNo rebuilds until the given ISO 8601 time (e.g. 2026-12-01 or 2026-12-01T08:00:00Z); "off" ends a snooze.',
    positionals: { min: 3 },
  }, args, async (a) => {
    const [collection, name, until] = a.positionals as [string, string, string];
    await setFlags(collection, [name], { snoozeUntil: until === 'off' ? null : until });
    console.log(until === 'off' ? `${name} in ${collection} is no longer snoozed` : `${name} in ${collection} is snoozed until ${new Date(until).toISOString()}`);
  }),
};
