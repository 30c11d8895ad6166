import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBuildroot, encodeBuildroot, type EncodedMember } from '../../src/resolution/buildroot-codec.ts';

test('round-trips ids, distances and base marks, sorted by id', () => {
  const members: EncodedMember[] = [
    { binaryId: 70000, distance: 1, base: false },
    { binaryId: 3, distance: null, base: true },
    { binaryId: 129, distance: 7, base: false },
    { binaryId: 2 ** 31 + 5, distance: null, base: false },
  ];
  const decoded = decodeBuildroot(encodeBuildroot(members));
  assert.equal(decoded, [...members].sort((a, b) => a.binaryId - b.binaryId));
});

test('a realistic 210-member buildroot takes a few hundred bytes', () => {
  const members = Array.from({ length: 210 }, (_, i) => ({ binaryId: 1000 + i * 37 + (i % 5), distance: (i % 4) + 1, base: i < 30 }));
  const encoded = encodeBuildroot(members);
  assert.ok(encoded.length < 420, `encoded ${encoded.length} bytes`);
  assert.equal(decodeBuildroot(encoded).length, 210);
});

test('a mapping of ids encodes like the mapped members (carried buildroots swap moved ids)', () => {
  const members = Array.from({ length: 50 }, (_, i) => ({ binaryId: 100 + i * 3, distance: i % 3 ? i : null, base: i % 5 === 0 }));
  const swap = (id: number) => (id % 2 ? id + 1000 : id);
  assert.equal(encodeBuildroot(members, (m) => swap(m.binaryId)), encodeBuildroot(members.map((m) => ({ ...m, binaryId: swap(m.binaryId) }))));
});

test('empty buildroot and rejected negative ids', () => {
  assert.equal(decodeBuildroot(encodeBuildroot([])), []);
  assert.throws(() => encodeBuildroot([{ binaryId: -1, distance: 1, base: false }]), /bad binary id/);
});

test.run();
