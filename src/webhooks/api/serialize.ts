import type { WebhookEntry, WebhookListEntry } from '../db/webhook-admin.js';
import type { DeliveryAttemptLog, DeliveryLog, DeliveryLogDetail } from '../db/delivery-logs.js';
import type { AttemptView, DeliveryDetailView, DeliveryView, WebhookListItemView, WebhookView } from './schemas.js';

/**
 * Database records as the API shows them: snake_case, ISO dates. The secret never appears here,
 * only `has_secret`; create and regenerate-secret add the plaintext themselves, once.
 */

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function webhookView(entry: WebhookEntry): WebhookView {
  return {
    id: entry.id,
    name: entry.name,
    url: entry.url,
    events: entry.events as WebhookView['events'],
    is_active: entry.is_active,
    format: entry.format,
    has_secret: entry.has_secret,
    disabled_reason: entry.disabled_reason,
    disabled_at: iso(entry.disabled_at),
    consecutive_failures: entry.consecutive_failures,
    failing_since: iso(entry.failing_since),
    last_delivery: entry.lastDelivery ? { status: entry.lastDelivery.status, at: entry.lastDelivery.at.toISOString() } : null,
    created_at: entry.created_at.toISOString(),
    updated_at: entry.updated_at.toISOString(),
  };
}

export function webhookListItemView(entry: WebhookListEntry): WebhookListItemView {
  return { ...webhookView(entry), delivery_logs_count: entry.deliveryLogsCount, last_24h: entry.last24h };
}

export function deliveryView(log: DeliveryLog): DeliveryView {
  return {
    id: log.rowId,
    delivery_id: log.deliveryId,
    event_type: log.event,
    attempt_number: log.attemptNumber,
    response_status_code: log.lastStatusCode,
    response_body: log.lastResponseBody,
    status: log.status,
    delivered_at: iso(log.deliveredAt),
    created_at: log.createdAt.toISOString(),
    event: log.event,
    is_test: log.isTest,
    // The column also holds lease expiries; it only means "next try" while the row is pending.
    next_attempt_at: log.status === 'pending' ? iso(log.nextAttemptAt) : null,
    last_status_code: log.lastStatusCode,
    last_error: log.lastError,
    updated_at: log.updatedAt.toISOString(),
  };
}

function attemptView(attempt: DeliveryAttemptLog): AttemptView {
  return {
    attempt_number: attempt.attemptNumber,
    request_headers: attempt.requestHeaders,
    response_status: attempt.responseStatus,
    response_body: attempt.responseBody,
    duration_ms: attempt.durationMs,
    error: attempt.error,
    cause: attempt.cause,
    created_at: attempt.createdAt.toISOString(),
  };
}

export function deliveryDetailView(detail: DeliveryLogDetail): DeliveryDetailView {
  return { ...deliveryView(detail), body: detail.body, attempts: detail.attempts.map(attemptView) };
}
