/**
 * rpm conformance: Ripple's resolver (libsolv in WebAssembly, base buildroot fixed first) against
 * native libsolv 0.7.23 (python3-solv) on the fixture distribution and on real rpm-md metadata.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureRepositories, type FixtureRepositories } from '../fixtures/rpm/build-fixture-repos.ts';
import { compareBinaries, compareSources, describe, withoutMissingFiles, type Comparison } from './rpm-compare.ts';
import { rpmExceptions } from './exceptions.ts';

const rpmMd = new URL('../../../shared/data/rpm-md/', import.meta.url).pathname;
let repos: FixtureRepositories;

function assertAgrees(c: Comparison, minimum: number) {
  assert.ok(c.compared >= minimum, `${c.label}: compared only ${c.compared} packages`);
  assert.equal(c.unmatched, [], `${c.label}: packages checked on one side only`);
  const unexplained = c.disagreements.filter((d) => !rpmExceptions[`${c.label}: ${d.package}`]);
  assert.ok(unexplained.length === 0, `${c.label}: ${unexplained.length} disagreement(s)\n${unexplained.map(describe).join('\n')}`);
}

test.before(async () => {
  repos = await fixtureRepositories();
});

test('fixture v1, sources: same verdicts and buildroots', async () => {
  assertAgrees(await compareSources('fixture v1', [repos.v1], { group: 'build' }), 30);
});

test('fixture v2, sources: same verdicts and buildroots', async () => {
  assertAgrees(await compareSources('fixture v2', [repos.v2], { group: 'build' }), 30);
});

test('fixture v1 + updates overlay, sources: same verdicts and buildroots', async () => {
  assertAgrees(await compareSources('fixture v1+updates', [repos.v1, repos.updates], { group: 'build' }), 30);
});

test('the documented exception really is the base-first difference', async () => {
  const c = await compareSources('fixture v1', [repos.v1], { group: 'build' });
  const filereq = c.disagreements.find((d) => d.package === 'filereq-1.0-1.src');
  assert.ok(filereq, 'filereq no longer differs: drop its exception');
  assert.equal(filereq.onlyOurs, ['gzip-1.12-1.x86_64']);
  assert.equal(filereq.onlyOracle, []);
});

test('openSUSE 11.0 update src packages, sources (no base): same verdicts and buildroots', async () => {
  assertAgrees(await compareSources('opensuse-11.0-update', [await withoutMissingFiles(`${rpmMd}opensuse-11.0-update`)], []), 164);
});

test('CentOS Stream 9 BaseOS 2022 (with filelists), binaries: same verdicts and sets', async () => {
  assertAgrees(await compareBinaries('centos-stream9-baseos-2022', `${rpmMd}centos-stream9-baseos-2022`), 1125);
});

test('CentOS 7 CloudCoffer, binaries: same verdicts and sets', async () => {
  assertAgrees(await compareBinaries('centos7-cloudcoffer', `${rpmMd}centos7-cloudcoffer`), 509);
});

test.run();
