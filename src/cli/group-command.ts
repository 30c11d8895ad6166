/**
 * `ripple group create|add|from-file|list`: package groups, written as the trusted CLI (no actor),
 * so global groups and any user's namespace are allowed.
 */
import {
  addGroupMembers, createGroup, getGroup, globalNamespace, groupLabel, listGroups, parseGroupRef, type GroupDetail,
} from '../collections/service.ts';
import { readNameFile } from './add-packages-command.ts';
import { dispatch, runCommand, unlessNotFound, withDatabase } from './command-line.ts';
import { formatTable } from './table.ts';

const help = `usage: ripple group <subcommand>

Groups are 'name' (global) or 'user/name' (in that user's namespace).

  create <group> [--description TEXT]    create an empty group
  add <group> <package...>               add member packages
  from-file <group> <file>               add the names in a file (one per line, # comments), creating the group if needed
  list                                   list groups with their member counts`;

const summary = (g: GroupDetail) => `${groupLabel(g)}: ${g.members.length} member${g.members.length === 1 ? '' : 's'}${g.members.length ? ` (${g.members.join(' ')})` : ''}`;

const create = (args: string[]) => runCommand({
  name: 'group create', help: 'usage: ripple group create <group> [--description TEXT]', positionals: { min: 1 },
  options: { description: { type: 'string' } },
}, args, async (a) => {
  const ref = parseGroupRef(a.positionals[0]!);
  const group = await withDatabase(({ db }) => createGroup(db, null, { namespace: ref.namespace ?? globalNamespace, name: ref.name, description: a.string('description') ?? '' }));
  console.log(`created group ${summary(group)}`);
});

const add = (args: string[]) => runCommand({
  name: 'group add', help: 'usage: ripple group add <group> <package...>', positionals: { min: 2, max: Infinity },
}, args, async (a) => {
  const [label, ...packages] = a.positionals as [string, ...string[]];
  const group = await withDatabase(({ db }) => addGroupMembers(db, null, parseGroupRef(label), packages));
  console.log(`group ${summary(group)}`);
});

const fromFile = (args: string[]) => runCommand({
  name: 'group from-file', help: 'usage: ripple group from-file <group> <file> [--description TEXT]\n\nAdds the names in the file (one per line, # comments), creating the group if it does not exist.',
  positionals: { min: 2 }, options: { description: { type: 'string' } },
}, args, async (a) => {
  const [label, file] = a.positionals as [string, string];
  const ref = parseGroupRef(label);
  const packages = readNameFile(file);
  const group = await withDatabase(async ({ db }) => (await unlessNotFound(getGroup(db, ref)))
    ? addGroupMembers(db, null, ref, packages)
    : createGroup(db, null, { namespace: ref.namespace ?? globalNamespace, name: ref.name, description: a.string('description') ?? '', packages }));
  console.log(`group ${summary(group)}`);
});

const list = (args: string[]) => runCommand({ name: 'group list', help: 'usage: ripple group list' }, args, async () => {
  const groups = await withDatabase(async ({ db }) => Promise.all((await listGroups(db)).map((g) => getGroup(db, g))));
  if (groups.length === 0) {
    console.log('no groups yet; create one with ripple group create');
    return;
  }
  console.log(formatTable(['group', 'members', 'maintainers', 'description'], groups.map((g) => [
    groupLabel(g), g.members.length, g.maintainers.join(', '), g.description,
  ])));
});

export const run = (args: string[]) => dispatch('group', help, { create, add, 'from-file': fromFile, list }, args);
