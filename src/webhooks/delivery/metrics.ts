import { Counter, Histogram, type Registry } from 'prom-client';
import type { Cause } from '../http/classify.js';

/** One recorded attempt, as the metrics see it: only bounded labels (never a delivery id or a URL). */
export interface AttemptSample {
  webhookId: number;
  event: string;
  cause: Cause;
  durationMs: number;
}

/** What the delivery engine calls once per recorded attempt. */
export interface AttemptMetrics {
  attempt(sample: AttemptSample): void;
}

/** For an engine whose host keeps no metrics. */
export const noAttemptMetrics: AttemptMetrics = { attempt: () => {} };

/** Latency buckets in seconds: receivers answer in milliseconds; the timeout is 10 s by default. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The attempt metrics of SPEC §10 in `registry`: `livechat_webhook_attempts_total{webhook_id,event,cause}`
 * (cause as the delivery log classifies it, `ok` for a 2xx) and the duration histogram by webhook.
 */
export function registerAttemptMetrics(registry: Registry): AttemptMetrics {
  const attempts = new Counter({
    name: 'livechat_webhook_attempts_total',
    help: 'Webhook delivery attempts recorded, by webhook, event and cause (ok for a 2xx).',
    labelNames: ['webhook_id', 'event', 'cause'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'livechat_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts (the HTTP exchange), by webhook.',
    labelNames: ['webhook_id'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    attempt({ webhookId, event, cause, durationMs }) {
      const webhook_id = String(webhookId);
      attempts.inc({ webhook_id, event, cause });
      duration.observe({ webhook_id }, durationMs / 1000);
    },
  };
}
