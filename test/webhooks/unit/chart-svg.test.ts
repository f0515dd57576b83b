import { hourlyStats, outcomeOf, quantileMs, statsWindow, type WebhookStats } from '../../../src/webhooks/api/hourly-stats.js';
import { DURATION_BOUNDS_MS, type AttemptCount } from '../../../src/webhooks/db/attempt-stats.js';
import { chartColors, linePath, niceCeiling, renderStatsChart } from '../../../src/webhooks/admin/chart-svg.js';

const HOUR = 3_600_000;
const now = new Date('2025-03-01T15:20:00.000Z');
const bucketOf = (ms: number) => DURATION_BOUNDS_MS.findIndex((b) => ms <= b);

/** 12:00 green, 13:00 empty, 14:00 red (the receiver broke), 15:00 (now) all timeouts. */
function sample(): WebhookStats {
  const window = statsWindow(now, 4);
  const counts: AttemptCount[] = [
    { hour: '2025-03-01 12', cause: 'ok', bucket: bucketOf(40), count: 20 },
    { hour: '2025-03-01 14', cause: 'ok', bucket: bucketOf(40), count: 2 },
    { hour: '2025-03-01 14', cause: 'server_error', bucket: bucketOf(120), count: 8 },
    { hour: '2025-03-01 15', cause: 'timeout', bucket: DURATION_BOUNDS_MS.length, count: 5 },
    { hour: '2025-03-01 09', cause: 'ok', bucket: 0, count: 99 }, // outside the window
  ];
  return hourlyStats(7, counts, window, 4);
}

/** Every element opened is closed, in order: the markup is well-formed XML. */
function expectWellFormed(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else if (!m[3]) stack.push(m[2]!);
  }
  expect(stack).toEqual([]);
  expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|#39;)/);
}

describe('hourly stats (pure)', () => {
  it('classifies causes into the chart\'s outcomes', () => {
    expect(outcomeOf('ok')).toBe('succeeded');
    for (const cause of ['server_error', 'gone', 'auth', 'not_found', 'rate_limited', 'redirect', 'client_error']) expect(outcomeOf(cause)).toBe('http_error');
    for (const cause of ['timeout', 'dns', 'tls', 'connection', 'blocked_address']) expect(outcomeOf(cause)).toBe('no_response');
  });

  it('estimates quantiles within the duration bucket, as histogram_quantile does', () => {
    const counts = Array<number>(DURATION_BOUNDS_MS.length + 1).fill(0);
    expect(quantileMs(counts, 0.5)).toBeNull();
    counts[bucketOf(40)] = 10; // (25, 50]
    expect(quantileMs(counts, 0.5)).toBe(38);
    counts[DURATION_BOUNDS_MS.length] = 90; // slower than the last bound
    expect(quantileMs(counts, 0.95)).toBe(60_000);
  });

  it('makes one entry per hour of the window, empty ones included, and drops counts outside it', () => {
    const stats = sample();
    expect(stats.from).toBe('2025-03-01T12:00:00.000Z');
    expect(stats.buckets.map((b) => [b.start.slice(11, 16), b.attempts, b.succeeded, b.http_error, b.no_response])).toEqual([
      ['12:00', 20, 20, 0, 0],
      ['13:00', 0, 0, 0, 0],
      ['14:00', 10, 2, 8, 0],
      ['15:00', 5, 0, 0, 5],
    ]);
    expect(stats.totals).toEqual({ attempts: 35, succeeded: 22, http_error: 8, no_response: 5, success_rate: 22 / 35 });
    expect(stats.buckets[1]).toMatchObject({ p50_ms: null, p95_ms: null, causes: {} });
    expect(statsWindow(new Date('2025-03-01T15:00:00.000Z'), 24).since.toISOString()).toBe('2025-02-28T16:00:00.000Z');
  });
});

describe('renderStatsChart', () => {
  it('stacks each hour\'s bars by outcome, to scale', () => {
    const svg = renderStatsChart(sample(), { width: 400, height: 200 });
    expectWellFormed(svg);
    const rects = [...svg.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" fill="([^"]+)" class="(\w+)"\/>/g)].map((m) => ({
      y: Number(m[1]), h: Number(m[2]), fill: m[3], outcome: m[4],
    }));
    // 12:00 green to the top of the axis (max 20), 14:00 2 green under 8 red, 15:00 5 amber.
    const plotH = 200 - 28 - 34;
    expect(rects.map((x) => x.outcome)).toEqual(['succeeded', 'succeeded', 'http_error', 'no_response']);
    expect(rects[0]).toMatchObject({ h: plotH, fill: chartColors.succeeded });
    expect(rects[1]!.h).toBeCloseTo(plotH * (2 / 20), 0);
    expect(rects[2]!.h).toBeCloseTo(plotH * (8 / 20), 0);
    expect(rects[2]!.y + rects[2]!.h).toBeCloseTo(rects[1]!.y, 0); // red sits on green
    expect(rects[3]).toMatchObject({ fill: chartColors.no_response });
  });

  it('draws p50/p95 lines that break at an hour without attempts', () => {
    const svg = renderStatsChart(sample());
    const p50 = /<path d="([^"]+)"[^>]*class="p50"/.exec(svg)![1]!;
    // 12:00 alone (13:00 is empty), then 14:00 → 15:00.
    expect(p50.match(/M/g)).toHaveLength(2);
    expect(p50.match(/L/g)).toHaveLength(1);
    expect(svg.match(/<circle[^>]*class="p95"/g)).toHaveLength(3);
    expect(linePath([[0, 0], null, [1, 1], [2, 2]])).toBe('M0 0 M1 1 L2 2');
  });

  it('is accessible: role img, labelled by its title and a description of what failed and when', () => {
    const svg = renderStatsChart(sample(), { idPrefix: 'chart-7' });
    expect(svg).toMatch(/^<svg [^>]*role="img" aria-labelledby="chart-7-title chart-7-desc"/);
    expect(svg).toContain('<title id="chart-7-title">Deliveries, last 4 hours</title>');
    const desc = /<desc id="chart-7-desc">([^<]+)<\/desc>/.exec(svg)![1];
    expect(desc).toBe('35 attempts in the last 4 hours, 62.9% succeeded, 8 HTTP errors, 5 without a response. Hours with failures: 14:00 (8 of 10 failed), 15:00 (5 of 5 failed).');
    expect(svg).toContain('<title>14:00: 10 attempts, 2 succeeded, 8 HTTP errors, 0 no response; p50 119 ms, p95 147 ms</title>');
    expect(svg).toContain('<title>13:00: 0 attempts, 0 succeeded, 0 HTTP errors, 0 no response</title>');
  });

  it('is safe under a strict CSP and escapes what an admin typed', () => {
    const svg = renderStatsChart(sample(), { title: 'Deliveries of <img src=x onerror=alert(1)> & "co"', idPrefix: 'a"><script>' });
    expectWellFormed(svg);
    // No element or attribute that runs or styles anything; the typed text is only text.
    expect(svg).not.toMatch(/<script|<img|<foreignObject|<style|<[^>]*\s(style|on\w+|href)=/i);
    expect(svg).toContain('Deliveries of &lt;img src=x onerror=alert(1)&gt; &amp; &quot;co&quot;');
    expect(svg).toContain('id="a---script--title"');
  });

  it('says so when there were no attempts, and labels hours in the time zone asked for', () => {
    const empty = hourlyStats(7, [], statsWindow(now, 24), 24);
    const svg = renderStatsChart(empty, { timeZone: 'Europe/Paris' });
    expectWellFormed(svg);
    expect(svg).toContain('No delivery attempts in the last 24 hours.');
    expect(svg).not.toContain('<path');
    // 16:00 UTC the day before is 17:00 in Paris (UTC+1 in March).
    expect(svg).toContain('>17:00</text>');
    expect(niceCeiling(1)).toBe(1);
    expect(renderStatsChart(sample())).toContain('>100 s</text>');
    expect(niceCeiling(37)).toBe(50);
    expect(niceCeiling(120)).toBe(200);
  });
});
