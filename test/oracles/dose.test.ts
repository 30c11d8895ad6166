import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runDoseBuilddebcheck } from './dose.ts';

const bookworm = join(new URL('../..', import.meta.url).pathname, '../shared/data/debian/bookworm');

/** Every 100th source that dose checks on amd64 (not Extra-Source-Only, an architecture amd64 builds), plus cmucl. */
function sample(): string[] {
  const text = execFileSync('xz', ['-dc', join(bookworm, 'Sources.xz')], { maxBuffer: 256 << 20 }).toString('utf8');
  const names: string[] = [];
  for (const stanza of text.split(/\n\n+/)) {
    if (/^Extra-Source-Only:\s*yes/m.test(stanza)) continue;
    const arches = /^Architecture:\s*(.*)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
    if (!arches.some((a) => ['any', 'all', 'amd64', 'linux-any', 'any-amd64'].includes(a))) continue;
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (name) names.push(name);
  }
  return [...names.filter((_, i) => i % 100 === 0).slice(0, 299), 'cmucl'];
}

test('dose-builddebcheck gives each of 300 real bookworm sources a verdict', async () => {
  const names = sample();
  assert.is(new Set(names).size, 300);
  const verdicts = await runDoseBuilddebcheck({
    packages: [join(bookworm, 'Packages.xz')],
    sources: join(bookworm, 'Sources.xz'),
    arch: 'amd64',
    sourceNames: names,
  });
  assert.equal([...verdicts.keys()].sort(), [...names].sort());

  const cmucl = verdicts.get('cmucl')!;
  assert.is(cmucl.status, 'broken');
  assert.is(cmucl.reasons, 'missing cmucl:amd64 (>= 21c) (needed by cmucl)');
  const ok = [...verdicts.values()].filter((v) => v.status === 'ok');
  assert.is(ok.length, 299, 'bookworm builds everything else in the sample');
  // dose adds build-essential (and with it the Essential set) to every build environment.
  assert.ok(ok.every((v) => v.installationSet.some((p) => p.startsWith('build-essential_'))));
});

test.run();
