/** One line of the results table: a figure, what it was compared with in the same run, the target. */
export interface BenchRow {
  /** "1", "2a"... */
  id: string;
  name: string;
  /** The measured figure, e.g. "p99 4.1 ms (10 webhooks)". */
  figure: string;
  /** What it is compared with, measured in the same run, e.g. "p99 3.9 ms (no webhooks)". */
  baseline: string;
  /** The comparison as a number with its unit, e.g. "1.05×". */
  result: string;
  /** The target in words, e.g. "≤ 1.20×". */
  target: string;
  /** null when the figure could not be measured (see `error`). */
  met: boolean | null;
}

/** What a scenario hands back: its table rows and the details worth keeping (markdown lines). */
export interface ScenarioResult {
  rows: BenchRow[];
  details: string[];
  seconds?: number;
}

/** A scenario that failed still gets a row, so the table shows what is missing and why. */
export function failedRow(id: string, name: string, target: string, error: unknown): BenchRow {
  const message = error instanceof Error ? error.message : String(error);
  return { id, name, figure: `not measured: ${message.split('\n')[0]}`, baseline: '', result: '', target, met: null };
}
