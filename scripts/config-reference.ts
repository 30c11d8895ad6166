/**
 * The README's configuration table, generated from src/config.ts (each option is declared once
 * there). `node --import tsx scripts/config-reference.ts --write` rewrites the table between the
 * README's config-reference markers; test/docs/readme.test.ts fails when they drift apart.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { configReference } from '../src/config.ts';

export const readmePath = new URL('../README.md', import.meta.url).pathname;
const start = '<!-- config-reference:start -->';
const end = '<!-- config-reference:end -->';

export function configTable(cwd = process.cwd()): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = configReference(cwd).map((o) => {
    // Path defaults are shown relative to the working directory they are resolved against.
    const value = o.default.startsWith(cwd) ? relative(cwd, o.default) || '.' : o.default;
    return `| \`${o.env}\` | ${value === '' ? '(empty)' : `\`${cell(value)}\``} | ${cell(o.doc)} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** The README with its configuration table replaced by the generated one. */
export function withConfigTable(readme: string, cwd = process.cwd()): string {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  return `${readme.slice(0, from + start.length)}\n${configTable(cwd)}\n${readme.slice(to)}`;
}

if (process.argv.includes('--write')) {
  writeFileSync(readmePath, withConfigTable(readFileSync(readmePath, 'utf8')));
}
