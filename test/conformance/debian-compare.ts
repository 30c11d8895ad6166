/**
 * Ripple's Debian verdicts against dose-builddebcheck on the bookworm indices, with the options that
 * make the two comparable (test/oracles/README.md): every alternative explored, Build-Depends-Indep
 * included, base = build-essential + every Essential: yes package, Extra-Source-Only stanzas and
 * sources that do not build on amd64 left out. Shared by debian-dose.test.ts and the report script.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { SourcePackage } from '../../resolver/src/types.ts';
import { readSnapshot } from '../../src/repos/read-repository.ts';
import { SnapshotResolver, buildSources, defaultSettings } from '../../src/resolution/snapshot-resolver.ts';

export const bookworm = new URL('../../../shared/data/debian/bookworm/', import.meta.url).pathname;
export const settings = defaultSettings('deb', { firstAlternativeOnly: false, includeIndep: true });

export interface Verdict { version: string; resolved: boolean; problem?: string }

const versionOf = (s: SourcePackage) => `${s.epoch ? `${s.epoch}:` : ''}${s.version}`;

/** bookworm's sources as Ripple reduces them for amd64, sorted by name. */
export async function bookwormSources() {
  const snapshot = await readSnapshot([bookworm], 'deb');
  const sources = buildSources(snapshot, settings).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { snapshot, sources };
}

/** Our verdicts by source name. */
export async function ourVerdicts(snapshot: Awaited<ReturnType<typeof bookwormSources>>['snapshot'], sources: SourcePackage[], onProgress?: (done: number, total: number) => void) {
  const resolver = await SnapshotResolver.open(snapshot, settings);
  try {
    const outcomes = await resolver.resolve(sources, onProgress);
    return new Map<string, Verdict>(outcomes.map((o) => [o.source.name, {
      version: versionOf(o.source),
      resolved: o.resolved,
      ...(o.resolved ? {} : { problem: o.problems.flatMap((p) => p.sentences).join('; ') }),
    }]));
  } finally {
    await resolver.close();
  }
}

/**
 * Plain dose-builddebcheck over whole files (`--successes --failures`, no explanations: the fast
 * path, about 67 s for bookworm), keyed `name version` so Extra-Source-Only duplicates stay apart.
 */
export async function plainDoseVerdicts(): Promise<Map<string, 'ok' | 'broken'>> {
  const dir = await mkdtemp(join(tmpdir(), 'ripple-dose-full-'));
  try {
    const run = promisify(execFile);
    const plain = async (name: string) => {
      await run('sh', ['-c', `xz -dc "$1" > "$2"`, 'sh', join(bookworm, `${name}.xz`), join(dir, name)]);
      return join(dir, name);
    };
    const [packages, sources] = await Promise.all([plain('Packages'), plain('Sources')]);
    const report = join(dir, 'report.yaml');
    await run('dose-builddebcheck', ['--deb-native-arch=amd64', '--successes', '--failures', `--outfile=${report}`, packages, sources])
      .catch((error: { code?: unknown }) => {
        if (error.code !== 1) throw error; // 1: some source is broken
      });
    const verdicts = new Map<string, 'ok' | 'broken'>();
    let name = '';
    let version = '';
    for await (const line of createInterface({ input: createReadStream(report, 'utf8'), crlfDelay: Infinity })) {
      const match = /^\s*-?\s*(package|version|status):\s*(\S+)/.exec(line);
      if (!match) continue;
      if (match[1] === 'package') name = match[2];
      else if (match[1] === 'version') version = match[2];
      else verdicts.set(`${name} ${version}`, match[2] === 'broken' ? 'broken' : 'ok');
    }
    return verdicts;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
