import type { HourStats, WebhookStats } from '../../../src/webhooks/api/hourly-stats.js';
import { failingRunStart, percent, summarizeStats } from '../../../src/webhooks/admin/chart-summary.js';

const hour = (i: number, counts: Partial<Pick<HourStats, 'succeeded' | 'http_error' | 'no_response'>> = {}): HourStats => {
  const c = { succeeded: 0, http_error: 0, no_response: 0, ...counts };
  const attempts = c.succeeded + c.http_error + c.no_response;
  return { start: new Date(Date.UTC(2026, 11, 1, i)).toISOString(), attempts, ...c, causes: {}, p50_ms: attempts ? 40 : null, p95_ms: attempts ? 90 : null };
};
const stats = (buckets: HourStats[]): WebhookStats => {
  const sum = (k: 'attempts' | 'succeeded' | 'http_error' | 'no_response') => buckets.reduce((n, b) => n + b[k], 0);
  return {
    webhook_id: 1, hours: buckets.length, from: buckets[0]!.start, until: buckets.at(-1)!.start,
    totals: { attempts: sum('attempts'), succeeded: sum('succeeded'), http_error: sum('http_error'), no_response: sum('no_response'), success_rate: null },
    buckets,
  };
};

describe('the chart in words', () => {
  it('finds the hour a webhook went from green to red, across empty hours', () => {
    const buckets = [hour(12, { succeeded: 6 }), hour(13, { succeeded: 5, http_error: 1 }), hour(14, { http_error: 5 }), hour(15), hour(16, { no_response: 2 }), hour(17)];
    expect(failingRunStart(buckets)).toBe(buckets[2]!.start);
    expect(summarizeStats(stats(buckets))).toEqual({ totals: '19 attempts · 58% succeeded · 6 HTTP errors · 2 without a response', failingSince: buckets[2]!.start });
  });

  it('has no failing run when the newest hour with attempts had a success, or when nothing was tried', () => {
    expect(failingRunStart([hour(1, { http_error: 3 }), hour(2, { succeeded: 1, http_error: 1 })])).toBeNull();
    expect(summarizeStats(stats([hour(1), hour(2)]))).toEqual({ totals: 'No attempts in the last 2 hours', failingSince: null });
    expect(summarizeStats(stats([hour(1, { succeeded: 1 })])).totals).toBe('1 attempt · 100% succeeded');
  });

  it('never rounds a failure away, nor a success', () => {
    expect(percent(999, 1000)).toBe('99.9%');
    expect(percent(1, 1000)).toBe('0.1%');
    expect(percent(1000, 1000)).toBe('100%');
    expect(percent(0, 7)).toBe('0%');
    expect(percent(2, 3)).toBe('67%');
  });
});
