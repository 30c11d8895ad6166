/**
 * Overlay stacking rules on small hand-made layers (the real bookworm stack is read in
 * debian-reader.test.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DebianSource } from '../../src/repos/debian-reader.ts';
import { stackRepositories } from '../../src/repos/overlay.ts';

function source(name: string, fullVersion: string, extraSourceOnly = false): DebianSource {
  return {
    name, fullVersion, epoch: 0, version: fullVersion, architectures: ['any'], binaries: [name], extraSourceOnly,
    buildDepends: [], buildDependsArch: [], buildDependsIndep: [], buildConflicts: [], buildConflictsArch: [], buildConflictsIndep: [],
  };
}

test('Debian sources: the highest version wins, but an Extra-Source-Only entry never shadows a buildable one', () => {
  const stacked = stackRepositories('deb', [
    { binaries: [], sources: [source('alabaster', '0.7.12-1'), source('openssl', '3.0.1-1'), source('old', '1-1')] },
    // bookworm-security lists alabaster again, at the same version, only as Extra-Source-Only.
    { binaries: [], sources: [source('alabaster', '0.7.12-1', true), source('openssl', '3.0.2-1'), source('old', '2-1', true)] },
  ]);
  const byName = new Map(stacked.sources.map((s) => [s.name, s]));
  assert.equal(byName.get('alabaster'), source('alabaster', '0.7.12-1'));
  assert.is(byName.get('openssl')!.fullVersion, '3.0.2-1');
  // Even a higher Extra-Source-Only version: what a rebuild builds is the buildable entry.
  assert.equal(byName.get('old'), source('old', '1-1'));
  assert.equal(stacked.replaced, { binaries: 0, sources: 3 });
});

test('Debian sources: an Extra-Source-Only entry alone is kept (buildSources filters it)', () => {
  const stacked = stackRepositories('deb', [{ binaries: [], sources: [source('only-eso', '1-1', true)] }]);
  assert.is(stacked.sources.length, 1);
});

test.run();
