/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { h } from './dom.js';

/** A timestamp in the admin's locale, seconds included ("12 May 2024, 14:03:07"). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86_400);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

/** A relative time that shows the exact one on hover. */
export function timeEl(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso, title: formatTime(iso) }, timeAgo(iso));
}

/** A coloured status label: pending, delivered, failed, open, closed. */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge badge-${status.replace(/[^a-z_]/g, '')}` }, status);
}

/** The receiver's answer in a few characters: "200", "timeout", "connection". */
export function outcome(status: number | null, cause: string | null, error: string | null): string {
  if (status !== null) return `HTTP ${status}`;
  return cause ?? error ?? 'no response';
}
