import type { DeliveryState, DeliveryUpdate } from '../db/delivery-rows.js';
import type { Outcome } from '../http/classify.js';
import { nextRetryDelayMs } from '../http/retry-policy.js';

/** What one attempt came to, as the decision needs it. */
export interface AttemptVerdict {
  attemptNumber: number;
  outcome: Outcome;
  statusCode: number | null;
  error: string | null;
}

/**
 * What an attempt turns its delivery into (pure): delivered, pending again at the retry policy's
 * next time, or failed. `state` is the row as it stands when the attempt is recorded (a redeliver
 * may have moved retry_base meanwhile); a test delivery is sent once and never retried.
 */
export function decideDelivery(state: DeliveryState, verdict: AttemptVerdict, now: Date, retryDelays: readonly number[]): DeliveryUpdate {
  const { outcome } = verdict;
  const common = { lastStatusCode: verdict.statusCode, lastError: outcome.ok ? null : verdict.error };
  if (outcome.ok) return { ...common, status: 'delivered', nextAttemptAt: null, deliveredAt: now };
  const delay = state.isTest ? null : nextRetryDelayMs(verdict.attemptNumber - state.retryBase, outcome, retryDelays);
  if (delay === null) return { ...common, status: 'failed', nextAttemptAt: null, deliveredAt: null };
  return { ...common, status: 'pending', nextAttemptAt: new Date(now.getTime() + delay), deliveredAt: null };
}
