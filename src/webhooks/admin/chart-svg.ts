import type { HourStats, WebhookStats } from '../api/hourly-stats.js';

/**
 * A webhook's last hours as an inline SVG (pure): stacked bars per hour by outcome (succeeded green,
 * HTTP error red, no response amber) on the left axis, p50 and p95 latency lines on the right.
 * Nothing but markup: no script, no style attribute (presentation attributes only), so it sits in a
 * page under a strict Content-Security-Policy. A screen reader reads its title, its description (the
 * totals and the hours that failed) and one tooltip title per hour.
 *
 * @example page += renderStatsChart(stats, { title: `Deliveries of ${webhook.name}`, idPrefix: `chart-${webhook.id}` });
 */
export interface ChartOptions {
  /** Shown and read first; escaped here. Default: "Deliveries, last N hours". */
  title?: string;
  /** Makes the title/desc ids unique when a page shows several charts. Default "webhook-chart". */
  idPrefix?: string;
  /** IANA time zone of the hour labels. Default UTC. */
  timeZone?: string;
  width?: number;
  height?: number;
}

export const chartColors = { succeeded: '#15803d', http_error: '#dc2626', no_response: '#d97706', p50: '#1d4ed8', p95: '#7c3aed' } as const;

const MARGIN = { top: 28, right: 64, bottom: 34, left: 44 };

export function renderStatsChart(stats: WebhookStats, options: ChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 260;
  const id = (options.idPrefix ?? 'webhook-chart').replace(/[^A-Za-z0-9_-]/g, '-');
  const title = options.title ?? `Deliveries, last ${stats.hours} hours`;
  const hourLabel = hourFormatter(options.timeZone ?? 'UTC');
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const buckets = stats.buckets;
  const slot = plot.w / Math.max(1, buckets.length);
  const barW = Math.max(1, slot * 0.72);
  const maxCount = niceCeiling(Math.max(1, ...buckets.map((b) => b.attempts)));
  const maxMs = niceCeiling(Math.max(1, ...buckets.map((b) => b.p95_ms ?? b.p50_ms ?? 0)));
  const yCount = (n: number) => plot.y + plot.h - (n / maxCount) * plot.h;
  const yMs = (ms: number) => plot.y + plot.h - (Math.min(ms, maxMs) / maxMs) * plot.h;
  const xCenter = (i: number) => plot.x + slot * i + slot / 2;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
      `aria-labelledby="${id}-title ${id}-desc" class="webhook-chart" font-family="system-ui, sans-serif" font-size="11">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(describe(stats, hourLabel))}</desc>`,
  );
  // Grid and axes: counts on the left, milliseconds on the right.
  for (const f of [0, 0.5, 1]) {
    const y = r(plot.y + plot.h - f * plot.h);
    parts.push(
      `<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.w}" y2="${y}" stroke="#d1d5db" stroke-width="1"/>`,
      `<text x="${plot.x - 6}" y="${y + 4}" text-anchor="end" fill="#374151">${format(maxCount * f)}</text>`,
      `<text x="${plot.x + plot.w + 6}" y="${y + 4}" fill="#374151">${formatMs(maxMs * f)}</text>`,
    );
  }
  // Stacked bars, one group per hour, each with its own tooltip.
  buckets.forEach((b, i) => {
    const x = r(xCenter(i) - barW / 2);
    let base = 0;
    const rects: string[] = [];
    for (const outcome of ['succeeded', 'http_error', 'no_response'] as const) {
      const n = b[outcome];
      if (n === 0) continue;
      const top = yCount(base + n);
      rects.push(`<rect x="${x}" y="${r(top)}" width="${r(barW)}" height="${r(yCount(base) - top)}" fill="${chartColors[outcome]}" class="${outcome}"/>`);
      base += n;
    }
    parts.push(`<g class="hour"><title>${escapeXml(hourTooltip(b, hourLabel))}</title>${rects.join('')}` +
      // An invisible full-height target, so an empty hour has a tooltip too.
      `<rect x="${r(plot.x + slot * i)}" y="${plot.y}" width="${r(slot)}" height="${plot.h}" fill="transparent"/></g>`);
    if (i % labelEvery(buckets.length) === 0) {
      parts.push(`<text x="${r(xCenter(i))}" y="${plot.y + plot.h + 14}" text-anchor="middle" fill="#374151">${escapeXml(hourLabel(b.start))}</text>`);
    }
  });
  // Latency lines; an hour without attempts breaks the line rather than invent a value.
  for (const [key, dash] of [['p50', ''], ['p95', ' stroke-dasharray="5 3"']] as const) {
    const points = buckets.map((b, i) => (b[`${key}_ms`] === null ? null : ([xCenter(i), yMs(b[`${key}_ms`]!)] as const)));
    const d = linePath(points);
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${chartColors[key]}" stroke-width="2"${dash} class="${key}"/>`);
    // A dot per hour, so an hour between two empty ones still shows its latency.
    for (const p of points) if (p) parts.push(`<circle cx="${r(p[0])}" cy="${r(p[1])}" r="2.5" fill="${chartColors[key]}" class="${key}"/>`);
  }
  // Legend along the top.
  const legend: [string, string, boolean][] = [
    ['Succeeded', chartColors.succeeded, false],
    ['HTTP error', chartColors.http_error, false],
    ['No response', chartColors.no_response, false],
    ['p50 latency', chartColors.p50, true],
    ['p95 latency', chartColors.p95, true],
  ];
  let lx = plot.x;
  for (const [label, color, line] of legend) {
    parts.push(
      line
        ? `<line x1="${lx}" y1="12" x2="${lx + 14}" y2="12" stroke="${color}" stroke-width="2"${label.startsWith('p95') ? ' stroke-dasharray="5 3"' : ''}/>`
        : `<rect x="${lx}" y="6" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 18}" y="16" fill="#111827">${label}</text>`,
    );
    lx += 18 + label.length * 6.2 + 16;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The description a screen reader reads: totals, then the hours with failures. */
function describe(stats: WebhookStats, hourLabel: (iso: string) => string): string {
  const t = stats.totals;
  if (t.attempts === 0) return `No delivery attempts in the last ${stats.hours} hours.`;
  const rate = Math.round((t.succeeded / t.attempts) * 1000) / 10;
  const failing = stats.buckets.filter((b) => b.http_error + b.no_response > 0).map((b) => `${hourLabel(b.start)} (${b.http_error + b.no_response} of ${b.attempts} failed)`);
  return (
    `${t.attempts} attempts in the last ${stats.hours} hours, ${rate}% succeeded, ${t.http_error} HTTP errors, ${t.no_response} without a response. ` +
    (failing.length ? `Hours with failures: ${failing.join(', ')}.` : 'No failures.')
  );
}

function hourTooltip(b: HourStats, hourLabel: (iso: string) => string): string {
  const latency = b.p50_ms === null ? '' : `; p50 ${b.p50_ms} ms, p95 ${b.p95_ms} ms`;
  return `${hourLabel(b.start)}: ${b.attempts} attempts, ${b.succeeded} succeeded, ${b.http_error} HTTP errors, ${b.no_response} no response${latency}`;
}

/** `M … L …` segments through the points; a null breaks the line. */
export function linePath(points: readonly (readonly [number, number] | null)[]): string {
  const segments: string[] = [];
  let current: string[] = [];
  for (const p of [...points, null]) {
    if (p) {
      current.push(`${current.length ? 'L' : 'M'}${r(p[0])} ${r(p[1])}`);
    } else if (current.length) {
      segments.push(current.join(' '));
      current = [];
    }
  }
  return segments.join(' ');
}

function hourFormatter(timeZone: string): (iso: string) => string {
  const f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone });
  return (iso) => f.format(new Date(iso));
}

/** About 8 hour labels, whatever the window. */
function labelEvery(n: number): number {
  return Math.max(1, Math.ceil(n / 8));
}

/** 1, 2 or 5 times a power of ten, at least `n`: axis maxima that read well. */
export function niceCeiling(n: number): number {
  const power = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * power >= n) return m * power;
  return 10 * power;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${format(ms / 1000)} s` : `${format(ms)} ms`;
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

const r = (n: number) => Math.round(n * 10) / 10;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
