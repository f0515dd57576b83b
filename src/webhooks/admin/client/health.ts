/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import type { WebhookView } from '../../api/schemas.js';
import { percent } from '../chart-summary.js';
import { h, type Child } from '../../../ui/client/dom.js';
import { formatTime } from '../../../ui/client/format.js';

/**
 * How a webhook is doing, in words, for the list and the delivery logs. Every state is said in text
 * (✗ and ✓ included), never by colour alone.
 */

/** "14:02" today, "30 Nov, 14:02" another day, in the admin's time zone. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  if (date.toDateString() === now.toDateString()) return time;
  return `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** "✗ Failing since 14:02 · 37 failed deliveries", or null while the webhook's attempts succeed. */
export function failingLine(w: WebhookView): HTMLElement | null {
  if (!w.failing_since) return null;
  const n = w.consecutive_failures;
  return h(
    'span',
    { class: 'health-failing', title: formatTime(w.failing_since) },
    h('span', { class: 'bad' }, '✗ Failing'),
    ` since ${shortTime(w.failing_since)} · `,
    n > 0 ? `${n} failed deliver${n === 1 ? 'y' : 'ies'}` : 'retrying',
  );
}

/** "24 h: 82% of 45 attempts succeeded" (tests left out), or "24 h: no attempts". */
export function recentLine(last24h: { attempts: number; succeeded: number }): HTMLElement {
  const { attempts, succeeded } = last24h;
  return h(
    'span',
    { class: 'health-recent muted small' },
    attempts === 0 ? '24 h: no attempts' : `24 h: ${percent(succeeded, attempts)} of ${attempts} attempt${attempts === 1 ? '' : 's'} succeeded`,
  );
}

/**
 * Why the server switched the webhook off. Its reason already says what to do (fix, then enable);
 * a hint is added only to a reason that does not, so the advice is given once.
 */
export function disabledNotice(w: WebhookView): Child[] {
  if (w.is_active || !w.disabled_reason) return [];
  const advises = /\benabl/i.test(w.disabled_reason);
  return [
    h('strong', {}, 'Disabled automatically'),
    w.disabled_at ? ` on ${formatTime(w.disabled_at)}` : '',
    '. ',
    h('span', { class: 'reason' }, w.disabled_reason),
    advises ? null : h('span', { class: 'hint-inline' }, ' Once the receiver is fixed, enable it again: held retries will go out.'),
  ];
}
