/**
 * Runs every `test/**\/*.test.ts` file in its own Node process (so WebAssembly instances,
 * databases and servers never leak between files), a few at a time, and prints the closing
 * line CI reads: `N passed, N failed`.
 *
 * Usage: node --import tsx test/run.ts [substring ...]   (only files whose path contains one)
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'fixtures' || entry === 'node_modules') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) found.push(path);
  }
  return found.sort();
}

interface FileOutcome { file: string; passed: number; failed: number; output: string; ms: number }

function runFile(file: string): Promise<FileOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => {
      // uvu closes each file with "Total: N / Passed: N"; a file that crashed before that counts as one failure.
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const outcome = Number.isNaN(total) || Number.isNaN(passed)
        ? { passed: 0, failed: 1 }
        : { passed, failed: total - passed + (code !== 0 && total === passed ? 1 : 0) };
      resolve({ file, ...outcome, output, ms: Date.now() - started });
    });
  });
}

const files = findTests(join(root, 'test')).filter(
  (f) => filters.length === 0 || filters.some((s) => f.includes(s)),
);
const width = Math.max(1, Math.min(Number(process.env.TEST_CONCURRENCY ?? availableParallelism()), files.length));
const outcomes: FileOutcome[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: width }, async () => {
    while (next < files.length) {
      const outcome = await runFile(files[next++]!);
      outcomes.push(outcome);
      const name = relative(root, outcome.file);
      const verdict = outcome.failed ? 'FAIL' : 'ok  ';
      console.log(`${verdict} ${name}  (${outcome.passed} passed, ${outcome.failed} failed, ${(outcome.ms / 1000).toFixed(1)} s)`);
      if (outcome.failed || process.env.TEST_VERBOSE) console.log(outcome.output.replace(/^/gm, '    '));
    }
  }),
);
const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
if (files.length === 0) console.log('no test files matched');
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || files.length === 0 ? 1 : 0;
