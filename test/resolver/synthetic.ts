/**
 * A deterministic Debian-sized synthetic distribution (63k binaries, 34k sources) for load,
 * speed and leak measurements. Dependencies point to lower-numbered packages, mixing versioned
 * requires, alternatives, virtual packages with several providers and a few conflicts.
 */
import type { BinaryPackage, Dependency, SourcePackage } from '../../resolver/src/index.ts';
import { seededRandom } from '../helpers/random.ts';


const VIRTUALS = 300;

export function syntheticDistribution(binaries = 63_000, sources = 34_000): { packages: BinaryPackage[]; sources: SourcePackage[] } {
  const rnd = seededRandom(42);
  const pick = (below: number) => Math.floor(rnd() * below);
  // Skewed towards low numbers, like real dependencies pile onto a core of libraries.
  const lower = (below: number) => Math.floor(rnd() ** 4 * below);
  const packages: BinaryPackage[] = [];
  for (let i = 0; i < binaries; i++) {
    const requires: Dependency[] = [];
    // Low-numbered packages form the base layers, so everything stays installable.
    const count = i < 50 ? 0 : 1 + pick(4);
    for (let r = 0; r < count; r++) {
      const target = lower(i);
      const roll = rnd();
      if (roll < 0.1) requires.push({ op: 'or', args: [{ name: `pkg${target}` }, { name: `pkg${lower(i)}` }] });
      else if (roll < 0.15) requires.push({ name: `virtual${target % VIRTUALS}` });
      else if (roll < 0.5) requires.push({ name: `pkg${target}`, relation: '>=', evr: `${target % 7}.0-1` });
      else requires.push({ name: `pkg${target}` });
    }
    packages.push({
      name: `pkg${i}`, epoch: 0, version: `${i % 7}.0-1`, release: '', arch: i % 5 === 0 ? 'all' : 'amd64',
      provides: i % 40 === 0 ? [{ name: `virtual${(i / 40) % VIRTUALS}` }] : [],
      requires,
      conflicts: i % 997 === 0 && i > 0 ? [{ name: `pkg${lower(i)}`, relation: '<', evr: '0.0' }] : [],
      obsoletes: [], recommends: i % 3 === 0 && i > 0 ? [{ name: `pkg${lower(i)}` }] : [], suggests: [], supplements: [], enhances: [],
      files: [], essential: i < 20, sourceName: `src${i >> 1}`, sourceEvr: `${i % 7}.0-1`,
    });
  }
  const list: SourcePackage[] = [];
  for (let s = 0; s < sources; s++) {
    const buildRequires: Dependency[] = [{ name: 'pkg20' }];
    for (let b = 0; b < 8; b++) buildRequires.push(b % 4 === 3 ? { op: 'or', args: [{ name: `pkg${pick(binaries)}` }, { name: `pkg${pick(binaries)}` }] } : { name: `pkg${pick(binaries)}` });
    list.push({ name: `src${s}`, epoch: 0, version: '1', release: '1', buildRequires, buildConflicts: [] });
  }
  return { packages, sources: list };
}
