import type { BenchRow } from './result.js';

const headers = ['#', 'Benchmark', 'Figure', 'Compared with (same run)', 'Result', 'Target', 'Met'];

function cells(row: BenchRow): string[] {
  return [row.id, row.name, row.figure, row.baseline, row.result, row.target, metText(row.met)];
}

export function metText(met: boolean | null): string {
  return met === null ? 'n/a' : met ? 'yes' : 'NO';
}

/** The results as a fixed-width table for the terminal. */
export function textTable(rows: readonly BenchRow[]): string {
  const body = rows.map(cells);
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join(' │ ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(headers), rule, ...body.map(line)].join('\n');
}

/** The results as a markdown table for BENCHMARKS.md. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const line = (values: string[]) => `| ${values.map(escape).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n');
}
