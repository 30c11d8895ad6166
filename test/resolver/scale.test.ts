/** Debian-sized load, resolution speed and memory stability (figures are printed for the record). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SolverPool } from '../../resolver/src/index.ts';
import { syntheticDistribution } from './synthetic.ts';

test('63k binaries load in one call; 1000 resolutions do not grow the heap', async () => {
  const { packages, sources } = syntheticDistribution();
  const pool = await SolverPool.create({ distType: 'deb', arch: 'amd64' });
  try {
    let started = performance.now();
    pool.addRepository('main', packages);
    const loadMs = performance.now() - started;
    const base = pool.setBase({ install: [{ name: 'pkg20' }], includeEssential: true });
    assert.ok(base.resolved);
    for (let i = 0; i < 200; i++) pool.resolve(sources[i]); // warm-up: whatprovides caches, buffers
    const heap = pool.heapBytes();
    started = performance.now();
    let members = 0;
    for (let i = 200; i < 1200; i++) {
      const result = pool.resolve(sources[i]);
      assert.ok(result.resolved);
      if (result.resolved) members += result.members.length;
    }
    const perResolve = (performance.now() - started) / 1000;
    console.log(`load ${packages.length} binaries: ${loadMs.toFixed(0)} ms; ${perResolve.toFixed(2)} ms/resolve (avg ${(members / 1000).toFixed(0)} members); heap ${heap} -> ${pool.heapBytes()} bytes`);
    assert.is(pool.heapBytes(), heap);
    assert.ok(loadMs < 10_000, `load took ${loadMs} ms`);
  } finally {
    pool.free();
  }
});

test.run();
