import { randomUUID } from 'node:crypto';
import type { EventPayload } from '../../events.js';
import type { NewDelivery } from '../db/delivery-rows.js';
import type { WebhookRecord } from '../db/webhook-store.js';
import { buildEnvelope } from './envelope.js';
import { renderBody } from './formats/index.js';

/**
 * One pending delivery per enabled webhook subscribed to the event, with its exact body bytes
 * rendered now (so every retry sends the same bytes). Pure apart from the id generator.
 */
export function planDeliveries(
  payload: EventPayload,
  webhooks: readonly WebhookRecord[],
  options: { now: Date; publicUrl?: string; newId?: () => string },
): { rows: NewDelivery[]; webhooks: WebhookRecord[] } {
  const newId = options.newId ?? randomUUID;
  const rows: NewDelivery[] = [];
  const targets: WebhookRecord[] = [];
  for (const webhook of webhooks) {
    if (!webhook.is_active || !webhook.events.includes(payload.event)) continue;
    const deliveryId = newId();
    const envelope = buildEnvelope(payload.event, deliveryId, payload.occurredAt, payload.data);
    rows.push({
      deliveryId,
      webhookId: webhook.id,
      event: payload.event,
      body: renderBody(webhook.format, envelope, options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      isTest: false,
      conversationId: conversationOf(payload),
      createdAt: payload.occurredAt,
      nextAttemptAt: options.now,
    });
    targets.push(webhook);
  }
  return { rows, webhooks: targets };
}

/** The conversation whose order the event's deliveries keep (SPEC §5); null for events about no conversation. */
function conversationOf(payload: EventPayload): number | null {
  const id = (payload.data as { conversation_id?: unknown }).conversation_id;
  return typeof id === 'number' && Number.isSafeInteger(id) ? id : null;
}
