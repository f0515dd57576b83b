import { DURATION_BOUNDS_MS, type AttemptCount } from '../db/attempt-stats.js';

/** How an attempt ended, as the chart stacks it. */
export type ChartOutcome = 'succeeded' | 'http_error' | 'no_response';
export const chartOutcomes: readonly ChartOutcome[] = ['succeeded', 'http_error', 'no_response'];

/** Causes where no usable HTTP answer came back; every other failure is an answer the receiver gave. */
const noResponse = new Set(['timeout', 'dns', 'tls', 'connection', 'blocked_address', 'invalid_response']);

/** The chart's outcome of a delivery-log cause: `ok` succeeded, an answer with a failure status, or none. */
export function outcomeOf(cause: string): ChartOutcome {
  if (cause === 'ok') return 'succeeded';
  return noResponse.has(cause) ? 'no_response' : 'http_error';
}

export interface HourStats {
  /** Start of the hour, ISO 8601 UTC. */
  start: string;
  attempts: number;
  succeeded: number;
  http_error: number;
  no_response: number;
  /** Attempts by delivery-log cause (only causes that occurred). */
  causes: Record<string, number>;
  /** Estimated median and 95th percentile of the attempt durations, ms; null without attempts. */
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface WebhookStats {
  webhook_id: number;
  hours: number;
  /** Start of the first hour and the time the window ends (now). */
  from: string;
  until: string;
  totals: { attempts: number; succeeded: number; http_error: number; no_response: number; success_rate: number | null };
  buckets: HourStats[];
}

const HOUR_MS = 3_600_000;

/** The window the chart shows: the current hour and the `hours - 1` before it, ending now. */
export function statsWindow(now: Date, hours: number): { since: Date; until: Date } {
  const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { since: new Date(currentHour - (hours - 1) * HOUR_MS), until: now };
}

/**
 * The q-quantile of counts per duration bucket (pure), as Prometheus's histogram_quantile estimates
 * it: linear within the bucket holding the rank; the open last bucket answers its lower bound.
 */
export function quantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && seen + n >= rank) {
      const upper = DURATION_BOUNDS_MS[i];
      const lower = i === 0 ? 0 : DURATION_BOUNDS_MS[i - 1]!;
      if (upper === undefined) return lower;
      return Math.round(lower + (upper - lower) * ((rank - seen) / n));
    }
    seen += n;
  }
  return DURATION_BOUNDS_MS.at(-1)!;
}

/** The API's answer from the query's counts (pure): one entry per hour of the window, empty hours included. */
export function hourlyStats(webhookId: number, counts: readonly AttemptCount[], window: { since: Date; until: Date }, hours: number): WebhookStats {
  const buckets: HourStats[] = [];
  const durations: number[][] = [];
  const index = new Map<string, number>();
  for (let h = 0; h < hours; h++) {
    const start = new Date(window.since.getTime() + h * HOUR_MS);
    index.set(start.toISOString().slice(0, 13).replace('T', ' '), h);
    buckets.push({ start: start.toISOString(), attempts: 0, succeeded: 0, http_error: 0, no_response: 0, causes: {}, p50_ms: null, p95_ms: null });
    durations.push(Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0));
  }
  for (const c of counts) {
    const h = index.get(c.hour);
    if (h === undefined) continue;
    const bucket = buckets[h]!;
    bucket.attempts += c.count;
    bucket[outcomeOf(c.cause)] += c.count;
    bucket.causes[c.cause] = (bucket.causes[c.cause] ?? 0) + c.count;
    durations[h]![Math.min(c.bucket, DURATION_BOUNDS_MS.length)]! += c.count;
  }
  buckets.forEach((bucket, h) => {
    bucket.p50_ms = quantileMs(durations[h]!, 0.5);
    bucket.p95_ms = quantileMs(durations[h]!, 0.95);
  });
  const sum = (key: 'attempts' | ChartOutcome) => buckets.reduce((n, b) => n + b[key], 0);
  const attempts = sum('attempts');
  return {
    webhook_id: webhookId,
    hours,
    from: window.since.toISOString(),
    until: window.until.toISOString(),
    totals: {
      attempts,
      succeeded: sum('succeeded'),
      http_error: sum('http_error'),
      no_response: sum('no_response'),
      success_rate: attempts === 0 ? null : sum('succeeded') / attempts,
    },
    buckets,
  };
}
