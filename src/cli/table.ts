/** Plain-text tables for CLI output: left-aligned columns, numbers right-aligned, a rule under the header. */
export type Cell = string | number | null | undefined;

export function formatTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => row[c] === null || row[c] === undefined || typeof row[c] === 'number'));
  const widths = header.map((h, c) => Math.max(h.length, ...text.map((row) => row[c]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n');
}
