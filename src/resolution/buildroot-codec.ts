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
 * zlib's defaults size each stream for megabytes (a 32 KB window, 256 KB of hash tables, 16 KB
 * output chunks). A buildroot is a few hundred bytes, and a regeneration encodes one per package:
 * at default sizes the 34k streams' native memory drove the V8 heap into seconds of collection.
 * The output is the same deflate format (inflate reads it with its default window).
 */
const SMALL_STREAM = { windowBits: 10, memLevel: 4, chunkSize: 1024 };

/**
 * `binaryId` maps a member to the id to store (default its own): a carried buildroot swaps the ids
 * of moved members without copying 8 million member objects per regeneration.
 */
export function encodeBuildroot(members: readonly EncodedMember[], binaryId: (m: EncodedMember) => number = (m) => m.binaryId): Buffer {
  // Sort keys id * 256 + distance byte in a typed array: a numeric sort without comparator calls.
  const keys = new Float64Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    const id = binaryId(member);
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new RangeError(`bad binary id ${id}`);
    keys[i] = id * 256 + (member.base ? BASE : member.distance === null ? FAR : Math.min(member.distance, FAR - 1));
  }
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
  return deflateRawSync(bytes.subarray(0, length), SMALL_STREAM);
}

export function decodeBuildroot(encoded: Uint8Array): EncodedMember[] {
  const bytes = inflateRawSync(encoded, { chunkSize: 4096 });
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
