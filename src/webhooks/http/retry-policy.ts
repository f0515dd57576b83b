import type { Outcome } from './classify.js';

/** The longest a receiver's Retry-After can push a retry out: keeps a hostile header from parking a delivery for years. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * How long to wait before the next attempt, or null when the delivery has failed for good.
 *
 * `attemptNumber` counts the attempts of the current budget, the one that just failed included
 * (1 after the first). `retryDelaysSeconds[n - 1]` is the wait after attempt n, so 3 delays give
 * 4 attempts in all. A permanent outcome (410 Gone, unknown Discord webhook) is never retried;
 * a Retry-After waits at least that long.
 *
 * @example nextRetryDelayMs(1, serverError, [120, 600, 1800]) // 120_000
 */
export function nextRetryDelayMs(
  attemptNumber: number,
  outcome: Pick<Outcome, 'ok' | 'permanent' | 'retryAfterMs'>,
  retryDelaysSeconds: readonly number[],
): number | null {
  if (outcome.ok || outcome.permanent) return null;
  const seconds = retryDelaysSeconds[attemptNumber - 1];
  if (seconds === undefined) return null;
  const delay = Math.round(seconds * 1000);
  const retryAfter = Math.min(Math.max(outcome.retryAfterMs ?? 0, 0), MAX_RETRY_AFTER_MS);
  return Math.max(delay, retryAfter);
}
