import type { HourStats, WebhookStats } from '../api/hourly-stats.js';

/**
 * The chart in words (pure), shown under it so nothing rests on colour alone: the window's totals,
 * and when every attempt since some hour has failed, that hour ("green to red at 14:00").
 */
export interface ChartSummary {
  /** "120 attempts · 60% succeeded · 40 HTTP errors · 8 without a response", or "No attempts". */
  totals: string;
  /** Start (ISO) of the first hour of the failing run that reaches the newest attempts; null when the newest succeeded. */
  failingSince: string | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function summarizeStats(stats: WebhookStats): ChartSummary {
  const t = stats.totals;
  if (t.attempts === 0) return { totals: `No attempts in the last ${stats.hours} hours`, failingSince: null };
  const parts = [plural(t.attempts, 'attempt', 'attempts'), `${percent(t.succeeded, t.attempts)} succeeded`];
  if (t.http_error) parts.push(plural(t.http_error, 'HTTP error', 'HTTP errors'));
  if (t.no_response) parts.push(`${t.no_response} without a response`);
  return { totals: parts.join(' · '), failingSince: failingRunStart(stats.buckets) };
}

/**
 * The first hour of the newest run of hours whose attempts all failed (empty hours inside the
 * run do not end it); null when the newest hour with attempts had a success, or none had attempts.
 */
export function failingRunStart(buckets: readonly HourStats[]): string | null {
  let start: string | null = null;
  for (let i = buckets.length - 1; i >= 0; i--) {
    const b = buckets[i]!;
    if (b.attempts === 0) continue;
    if (b.succeeded > 0) break;
    start = b.start;
  }
  return start;
}

/** "60%", "99.5%", "100%": one decimal only where rounding would hide a failure. */
export function percent(part: number, whole: number): string {
  const p = (part / whole) * 100;
  const rounded = Math.round(p);
  if (rounded === 100 && part < whole) return `${(Math.floor(p * 10) / 10).toFixed(1)}%`;
  if (rounded === 0 && part > 0) return `${(Math.ceil(p * 10) / 10).toFixed(1)}%`;
  return `${rounded}%`;
}
