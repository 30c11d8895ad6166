/**
 * Compact storage of a buildroot: the members' binary_packages ids sorted ascending,
 * delta-encoded as unsigned LEB128 varints, each followed by its distance (0 = base member,
 * 255 = unknown/too far, else 1..254), then deflated. Koschei stores dependency sets the same
 * way (sorted ids, delta uint32, zlib); varints and the distance byte make ours ~3x smaller,
 * since consecutive ids are usually close after the flyweight table is filled in snapshot order.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export interface EncodedMember {
  binaryId: number;
  /** null for base members (installed with the base buildroot, not pulled in by the source). */
  distance: number | null;
  base: boolean;
}

const BASE = 0;
const FAR = 255;
/** Ids times 256 stay exact in a double. */
const MAX_ID = 2 ** 45;

/**
 * `binaryId` maps a member to the id to store (default its own): a carried buildroot swaps the ids
 * of moved members without copying 8 million member objects per regeneration.
 */
export function encodeBuildroot(members: readonly EncodedMember[], binaryId: (m: EncodedMember) => number = (m) => m.binaryId): Buffer {
  // Sort keys id * 256 + distance byte in a typed array: a numeric sort without comparator calls.
  const keys = new Float64Array(members.length);
  members.forEach((member, i) => {
    const id = binaryId(member);
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new RangeError(`bad binary id ${id}`);
    keys[i] = id * 256 + (member.base ? BASE : member.distance === null ? FAR : Math.min(member.distance, FAR - 1));
  });
  keys.sort();
  // At most 7 varint bytes per id below 2^45, plus the distance byte.
  const bytes = new Uint8Array(members.length * 8);
  let length = 0;
  let previous = 0;
  for (const key of keys) {
    const id = Math.floor(key / 256);
    let delta = id - previous;
    previous = id;
    do {
      const low = delta & 0x7f;
      delta = Math.floor(delta / 128);
      bytes[length++] = delta > 0 ? low | 0x80 : low;
    } while (delta > 0);
    bytes[length++] = key % 256;
  }
  return deflateRawSync(bytes.subarray(0, length));
}

export function decodeBuildroot(encoded: Uint8Array): EncodedMember[] {
  const bytes = inflateRawSync(encoded);
  const members: EncodedMember[] = [];
  let position = 0;
  let previous = 0;
  while (position < bytes.length) {
    let delta = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[position++]!;
      delta += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    previous += delta;
    const distance = bytes[position++]!;
    members.push({
      binaryId: previous,
      base: distance === BASE,
      distance: distance === BASE || distance === FAR ? null : distance,
    });
  }
  return members;
}
