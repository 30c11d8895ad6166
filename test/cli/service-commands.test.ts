/**
 * The `ripple` service commands end to end: each test spawns the real CLI on an embedded database
 * on disk and the rpm fixture repositories; the tests build on each other (create, add, resolve, view).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readNameFile } from '../../src/cli/add-packages-command.ts';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { projectRoot, rippleCommand, rippleEnv, seededDataDir } from './cli-fixture.ts';

let dataDir: string;
let repos: FixtureRepositories;

function ripple(...args: string[]) {
  const child = spawnSync(...rippleCommand(...args), { cwd: projectRoot, env: rippleEnv(dataDir), encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

test.before(async () => {
  repos = await fixtureRepositories();
  dataDir = await seededDataDir();
});

test.after(() => rmSync(dataDir, { recursive: true, force: true }));

test('collection create, list, edit and delete', () => {
  const created = ripple('collection', 'create', 'fixture', '--format', 'rpm-md', '--source', repos.v1, '--base-group', 'build', '--arch', 'x86_64');
  assert.is(created.code, 0, created.stderr);
  assert.match(created.stdout, /created collection fixture \(rpm-md\)/);
  assert.is(ripple('collection', 'create', 'other', '--format', 'debian', '--source', 'relative/dir', '--base-packages', 'build-essential', '--essential').code, 0);
  const edited = ripple('collection', 'edit', 'other', '--display-name', 'Other one', '--poll-interval', '600', '--profiles', 'nocheck', '--pause');
  assert.is(edited.code, 0, edited.stderr);
  assert.match(edited.stdout, /other \(debian, paused\): Other one/);
  assert.match(edited.stdout, /sources: \/.*\/relative\/dir/); // paths are stored absolute
  assert.match(edited.stdout, /"profiles":\["nocheck"\]/);
  assert.match(edited.stdout, /polled every 600 s/);
  const list = ripple('collection', 'list');
  assert.match(list.stdout, /^fixture\s+rpm-md\s+x86_64\s+new/m);
  assert.match(list.stdout, /^other\s+debian\s+\s+new\s+yes/m);
  assert.match(ripple('collection', 'delete', 'other').stdout, /deleted collection other/);
});

test('usage errors exit 2 with the help; an unknown collection exits 1 naming it', () => {
  const missingFormat = ripple('collection', 'create', 'x', '--source', repos.v1);
  assert.is(missingFormat.code, 2);
  assert.match(missingFormat.stderr, /ripple collection create: --format rpm-md\|debian is required/);
  assert.match(missingFormat.stderr, /usage: ripple collection create/);
  const badNumber = ripple('set-priority', 'fixture', 'baz', 'high');
  assert.is(badNumber.code, 2);
  assert.match(badNumber.stderr, /priority must be an integer, got 'high'/);
  const unknown = ripple('info', 'nope', 'baz');
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^ripple info: collection 'nope' does not exist/);
});

test('add-packages from names, from a file and every source of the repository', () => {
  const names = ripple('add-packages', 'fixture', 'baz', 'qux');
  assert.is(names.code, 0, names.stderr);
  assert.match(names.stdout, /added 2 packages to fixture/);
  const file = join(dataDir, 'names.txt');
  writeFileSync(file, '# build tools\nbaz\n\nfoo   # with a comment\n');
  assert.match(ripple('add-packages', 'fixture', '--file', file).stdout, /added 1 package to fixture \(1 already there\)/);
  writeFileSync(file, 'baz\nnot a name\n');
  assert.throws(() => readNameFile(file), /names\.txt:2: 'not a name' is not a package name/);
  const all = ripple('add-packages', 'fixture', '--all-sources');
  assert.is(all.code, 0, all.stderr);
  assert.match(all.stdout, /added 29 packages to fixture \(3 already there\)/); // v1 has 32 sources
});

test('groups: create, add members, list', () => {
  assert.is(ripple('group', 'create', 'libbar-stack', '--description', 'libbar and its users').code, 0);
  const added = ripple('group', 'add', 'libbar-stack', 'baz', 'qux');
  assert.match(added.stdout, /global\/libbar-stack: 2 members \(baz qux\)/);
  assert.match(ripple('group', 'list').stdout, /global\/libbar-stack\s+2\s+libbar and its users/);
});

test('regenerate --now resolves the fixture; info, overview and watch show it', () => {
  const regenerated = ripple('regenerate', 'fixture', '--now');
  assert.is(regenerated.code, 0, regenerated.stderr);
  assert.match(regenerated.stdout, /fixture: snapshot 1 ingested in [\d.]+ s: 32 solved, 32 changed, 3 state changes/);
  const info = ripple('info', 'fixture', 'baz');
  assert.is(info.code, 0, info.stderr);
  assert.match(info.stdout, /^baz in fixture: unknown since/);
  assert.match(info.stdout, /groups global\/libbar-stack/);
  assert.match(info.stdout, /buildroot of snapshot 1: \d+ packages .*direct: .*qux-devel/);
  assert.match(ripple('info', 'fixture', 'nosuch').stdout, /unresolvable in snapshot 1:\n\s+- nothing provides requested libmissing-devel >= 1.0/);
  const overview = ripple('overview');
  // collection, state, snapshot, taken, ok, failing, unresolved (clash, newthing, nosuch), blocked, untracked, unknown
  assert.match(overview.stdout, /^fixture\s+ok\s+1\s+\S+ \S+\s+0\s+0\s+3\s+0\s+0\s+29/m);
  const watched = ripple('watch', 'fixture', '--from', '0', '--once');
  assert.match(watched.stdout, /package\.state\.change\s+nosuch: unknown -> unresolved/);
  assert.match(watched.stdout, /snapshot\.ingested\s+snapshot 1: 32 sources/);
});

test.run();
