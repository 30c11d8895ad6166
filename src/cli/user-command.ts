/** `ripple user create` and `ripple token create`: accounts and API tokens (the token is shown once). */
import { createToken, createUser, getUser } from '../users/service.ts';
import { dispatch, runCommand, withDatabase } from './command-line.ts';

const userHelp = `usage: ripple user create <name> [--admin] [--email ADDRESS]`;
const tokenHelp = `usage: ripple token create <user> --scope admin|maintainer|ci [--scope ...] [--description TEXT]

Prints the new API token on stdout. It is stored hashed and cannot be shown again.`;

const createUserCommand = (args: string[]) => runCommand({
  name: 'user create', help: userHelp, positionals: { min: 1 },
  options: { admin: { type: 'boolean' }, email: { type: 'string' } },
}, args, async (a) => {
  const user = await withDatabase(({ db }) => createUser(db, { name: a.positionals[0]!, isAdmin: a.flag('admin'), email: a.string('email') ?? null }));
  console.log(`created ${user.is_admin ? 'admin ' : ''}user ${user.name}; give it a token with ripple token create ${user.name} --scope ...`);
});

const createTokenCommand = (args: string[]) => runCommand({
  name: 'token create', help: tokenHelp, positionals: { min: 1 },
  options: { scope: { type: 'string', multiple: true }, description: { type: 'string' } },
}, args, async (a) => {
  const created = await withDatabase(async ({ db }) => createToken(db, await getUser(db, a.positionals[0]!), a.list('scope') ?? [], a.string('description') ?? ''));
  // The token alone on stdout, so scripts can capture it; the context goes to stderr.
  console.error(`token ${created.id} for ${a.positionals[0]} with scopes ${created.scopes.join(', ')}; it is shown only now:`);
  console.log(created.token);
});

export const user = { run: (args: string[]) => dispatch('user', `usage: ripple user create <name> [--admin] [--email ADDRESS]`, { create: createUserCommand }, args) };
export const token = { run: (args: string[]) => dispatch('token', tokenHelp, { create: createTokenCommand }, args) };
