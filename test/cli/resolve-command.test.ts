/** `ripple resolve` end to end: spawns the real CLI on the rpm fixture repositories. */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';

const root = new URL('../..', import.meta.url).pathname;
let repos: FixtureRepositories;

function ripple(...args: string[]) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'resolve', ...args], { cwd: root, encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

test.before(async () => {
  repos = await fixtureRepositories();
});

test('JSON: buildroot of one source with distances and base members', () => {
  const { code, stdout } = ripple(repos.v1, 'baz', '--json', '--threads', '1');
  assert.is(code, 0);
  const out = JSON.parse(stdout);
  assert.is(out.format, 'rpm'); // detected from repodata/repomd.xml
  assert.is(out.sources.length, 1);
  const baz = out.sources[0];
  assert.is(baz.name, 'baz');
  assert.ok(baz.resolved);
  const byName = new Map<string, { distance: number | null; base: boolean; nevra: string }>(baz.buildroot.map((m: { name: string }) => [m.name, m]));
  assert.is(byName.get('qux-devel')?.distance, 1);
  assert.is(byName.get('libbar')?.nevra, 'libbar-1.9-3.x86_64');
  assert.ok(byName.get('bash')?.base);
  assert.is(byName.get('bash')?.distance, null);
  assert.not.ok(byName.has('perl'), 'optional comps members stay out');
});

test('JSON: v2 breaks baz (exit 3); the v1 + updates overlay mends newthing with the update', () => {
  const broken = ripple(repos.v2, 'baz', '--json');
  assert.is(broken.code, 3);
  const [baz] = JSON.parse(broken.stdout).sources;
  assert.is(baz.resolved, false);
  assert.match(baz.problems.flatMap((p: { sentences: string[] }) => p.sentences).join('\n'), /libbar\.so\.1/);
  const mended = ripple(repos.v1, repos.updates, 'newthing', '--json');
  assert.is(mended.code, 0);
  const [newthing] = JSON.parse(mended.stdout).sources;
  assert.ok(newthing.buildroot.some((m: { nevra: string }) => m.nevra === 'libbar-devel-2.0-1.x86_64'));
});

test('table: per-source buildroot table marks base members', () => {
  const { code, stdout } = ripple(repos.v1, 'site');
  assert.is(code, 0);
  assert.match(stdout, /^site 1\.0-1: 8 packages$/m);
  assert.match(stdout, /^name\s+version\s+arch\s+distance\s+base$/m);
  assert.match(stdout, /^httpd\s+2\.4\.57-1\s+x86_64\s+1$/m);
  assert.match(stdout, /^bash\s+\S+\s+x86_64\s+base$/m);
});

test('table: every source gives a summary and the unresolvable with their first problem', () => {
  const { code, stdout } = ripple(repos.v2);
  assert.is(code, 3);
  assert.match(stdout, /^sources\s+resolved\s+unresolvable/m);
  assert.match(stdout, /^unresolvable:$/m);
  assert.match(stdout, /^baz\s+3\.1-1\s+package qux-devel/m);
  assert.not.match(stdout, /^newthing\s/m);
});

test('unknown source name: exit 1 with a message naming it', () => {
  const { code, stdout, stderr } = ripple(repos.v1, 'no-such-source');
  assert.is(code, 1);
  assert.is(stdout, '');
  assert.match(stderr, /unknown source 'no-such-source'/);
});

test('unreadable repository: exit 1 naming the path', () => {
  const { code, stderr } = ripple(`${repos.v1}/repodata`);
  assert.is(code, 1);
  assert.match(stderr, /repodata: not a repository/);
  const bad = ripple(repos.v1, '--format', 'zip');
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--format must be rpm or deb/);
});

test.run();
