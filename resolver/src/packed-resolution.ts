/**
 * Resolutions as they cross from a worker thread to its pool: a buildroot's members packed into
 * one transferable Int32Array (4 ints each) instead of structured-cloned as two objects each
 * (about 300 members per Debian buildroot). bench:resolve: solving the 2,089 sources of a
 * bookworm regeneration took 2.3-2.7 s instead of 2.6-3.6 s, the whole archive 48.6 s instead of
 * 56.7 s.
 */
import type { BuildrootMember, Resolution } from './solver-pool.ts';

export type PackedResolution = { resolved: true; members: Int32Array } | Extract<Resolution, { resolved: false }>;

const NO_DISTANCE = -1;

export function packResolution(resolution: Resolution): PackedResolution {
  if (!resolution.resolved) return resolution;
  const packed = new Int32Array(resolution.members.length * 4);
  resolution.members.forEach((m, i) => {
    packed[i * 4] = m.package.repository;
    packed[i * 4 + 1] = m.package.index;
    packed[i * 4 + 2] = m.distance ?? NO_DISTANCE;
    packed[i * 4 + 3] = m.base ? 1 : 0;
  });
  return { resolved: true, members: packed };
}

export function unpackResolution(packed: PackedResolution): Resolution {
  if (!packed.resolved) return packed;
  const ints = packed.members;
  const members: BuildrootMember[] = new Array(ints.length / 4);
  for (let i = 0; i < members.length; i++) {
    const distance = ints[i * 4 + 2]!;
    members[i] = { package: { repository: ints[i * 4]!, index: ints[i * 4 + 1]! }, distance: distance === NO_DISTANCE ? null : distance, base: ints[i * 4 + 3] === 1 };
  }
  return { resolved: true, members };
}

/** The buffers to transfer with a message carrying `resolutions`. */
export const transferables = (resolutions: PackedResolution[]): ArrayBuffer[] =>
  resolutions.flatMap((r) => (r.resolved ? [r.members.buffer as ArrayBuffer] : []));
