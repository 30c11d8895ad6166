/**
 * RepositoryEncoder remembers each package's record across repositories (a regeneration's stack
 * shares most package objects with the one before): a pool loaded from such an encoding must
 * solve exactly as one loaded from a fresh encoding of the same packages.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RepositoryEncoder } from '../../resolver/src/encoding.ts';
import { SolverPool, type BinaryPackage, type EncodedRepository, type Resolution } from '../../resolver/src/index.ts';
import { deb, dep } from './packages.ts';

const before: BinaryPackage[] = [
  deb('libc6', '2.36-9'),
  deb('libssl3', '3.0.11-1', { requires: ['libc6 >= 2.34'] }),
  deb('libssl-dev', '3.0.11-1', { requires: ['libssl3 = 3.0.11-1'] }),
  deb('curl', '7.88.1-10', { requires: ['libssl3 >= 3.0.0', 'libc6'] }),
  deb('old-tool', '1.0', { requires: ['libc6'], provides: ['tool'] }),
  deb('make', '4.3-4.1'),
];
// The next snapshot: libssl updated (new objects), old-tool gone, new-tool added, the rest shared.
const after: BinaryPackage[] = [
  before[0]!,
  deb('libssl3', '3.0.13-1~deb12u1', { requires: ['libc6 >= 2.36'] }),
  deb('libssl-dev', '3.0.13-1~deb12u1', { requires: ['libssl3 = 3.0.13-1~deb12u1'] }),
  before[3]!,
  deb('new-tool', '2.0', { requires: ['libssl3 >= 3.0.12'], provides: ['tool'] }),
  before[5]!,
];

async function poolOf(encoded: EncodedRepository): Promise<SolverPool> {
  const pool = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  pool.addEncodedRepository('snapshot', encoded);
  return pool;
}

const summary = (resolution: Resolution) => (resolution.resolved
  ? resolution.members.map((m) => `${after[m.package.index]!.name}_${after[m.package.index]!.version}:${m.distance}`).sort()
  : resolution.problems.map((p) => p.sentences.join(' / ')));

test('a remembered encoding solves as a fresh one, and reuses the records of shared packages', async () => {
  const encoder = new RepositoryEncoder('amd64');
  const first = encoder.encode('snapshot', before);
  const second = encoder.encode('snapshot', after, { shared: true });
  const fresh = new RepositoryEncoder('amd64').encode('snapshot', after);

  assert.ok(second.records.buffer instanceof SharedArrayBuffer && second.strings.buffer instanceof SharedArrayBuffer);
  assert.is(second.packageCount, after.length);
  // The table only grows: old-tool's strings stay, so the remembered ids of curl stay valid.
  assert.ok(second.stringCount > fresh.stringCount, `${second.stringCount} strings, a fresh table has ${fresh.stringCount}`);
  // Records are back to back; a record's length does not depend on the table.
  const curl = before[3]!;
  const head = (encoded: EncodedRepository, list: BinaryPackage[]) => {
    const at = list.slice(0, list.indexOf(curl)).reduce((n, p) => n + new RepositoryEncoder('amd64').encode('x', [p]).records.length, 0);
    return [...encoded.records.slice(at, at + 3)];
  };
  assert.equal(head(second, after), head(first, before), 'curl keeps the ids of its name, version and architecture');

  const remembered = await poolOf(second);
  const anew = await poolOf(fresh);
  try {
    for (const install of [['curl'], ['libssl-dev'], ['tool'], ['old-tool'], ['libssl-dev', 'new-tool', 'make']]) {
      const jobs = install.map((d) => dep(d));
      assert.equal(summary(remembered.resolveInstall(jobs)), summary(anew.resolveInstall(jobs)), install.join(' '));
    }
    assert.equal(summary(remembered.resolveInstall([dep('tool')])), ['libc6_2.36-9:3', 'libssl3_3.0.13-1~deb12u1:2', 'new-tool_2.0:1']);
  } finally {
    remembered.free();
    anew.free();
  }
});

test('an encoding error still names the repository, the package and the field', () => {
  const broken = deb('broken', '1', { requires: ['libc6'] });
  broken.requires = [{ name: 'libc6', relation: '>=' }];
  assert.throws(() => new RepositoryEncoder('amd64').encode('bookworm', [before[0]!, broken]),
    (error: Error) => error.message === "repository bookworm, package 1 (broken) requires: 'libc6 >=' has no version");
});

test.run();
