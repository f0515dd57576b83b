import type { WebhookRecord } from '../db/webhook-store.js';

export interface HealthRules {
  /** Disable after this many consecutive failed deliveries (0 = never). */
  afterFailures: number;
  /** Disable after failing continuously this many days (0 = never). */
  afterDays: number;
}

/**
 * The health rule (issue 6): why a failing webhook should be disabled now, or null to keep it.
 * A webhook that has failed for days is costing every retry a timeout and telling no one.
 */
export function healthVerdict(webhook: Pick<WebhookRecord, 'consecutive_failures' | 'failing_since'>, now: Date, rules: HealthRules): string | null {
  if (rules.afterFailures > 0 && webhook.consecutive_failures >= rules.afterFailures) {
    return `Disabled after ${webhook.consecutive_failures} consecutive failed deliveries. Fix the receiver, then enable the webhook; held retries will go out.`;
  }
  if (rules.afterDays > 0 && webhook.failing_since) {
    const days = (now.getTime() - webhook.failing_since.getTime()) / 86_400_000;
    if (days >= rules.afterDays) {
      return `Disabled after failing continuously since ${webhook.failing_since.toISOString()} (${rules.afterDays} days). Fix the receiver, then enable the webhook.`;
    }
  }
  return null;
}
