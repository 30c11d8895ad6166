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

export function encodeBuildroot(members: readonly EncodedMember[]): Buffer {
  const sorted = [...members].sort((a, b) => a.binaryId - b.binaryId);
  const bytes: number[] = [];
  let previous = 0;
  for (const member of sorted) {
    let delta = member.binaryId - previous;
    if (delta < 0 || !Number.isInteger(member.binaryId)) throw new RangeError(`bad binary id ${member.binaryId}`);
    previous = member.binaryId;
    do {
      const low = delta & 0x7f;
      delta = Math.floor(delta / 128);
      bytes.push(delta > 0 ? low | 0x80 : low);
    } while (delta > 0);
    bytes.push(member.base ? BASE : member.distance === null ? FAR : Math.min(member.distance, FAR - 1));
  }
  return deflateRawSync(Uint8Array.from(bytes));
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
