import { z } from 'zod';

/**
 * The events the chat server announces and the webhooks plugin delivers: name, description and
 * the zod schema of `data` (SPEC §5), in one place. Every field is always present, null when unknown.
 */
const iso = z.string().describe('ISO 8601 UTC time');

export const conversationData = z.object({
  conversation_id: z.number().int(),
  visitor_name: z.string().nullable(),
  visitor_email: z.string().nullable(),
  visitor_phone: z.string().nullable(),
  visitor_ip: z.string().nullable(),
  current_url: z.string().nullable(),
  status: z.enum(['open', 'closed']),
  created_at: iso,
});

export const closedConversationData = conversationData.extend({ closed_at: iso });

export const messageData = conversationData.extend({
  message_id: z.number().int(),
  content: z.string(),
  is_from_admin: z.boolean(),
  admin_name: z.string().nullable(),
});

export const webhookTestData = z.object({
  message: z.string(),
  webhook_id: z.number().int(),
  webhook_name: z.string(),
});

/** Operational events (SPEC §10): about the webhooks themselves, never sent to the webhook they name. */
export const webhookDisabledData = z.object({
  webhook_id: z.number().int(),
  webhook_name: z.string(),
  reason: z.string(),
  disabled_at: iso,
});

export const deliveryFailedData = z.object({
  webhook_id: z.number().int(),
  webhook_name: z.string(),
  delivery_id: z.uuid(),
  event: z.string(),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  failed_at: iso,
});

export type ConversationData = z.infer<typeof conversationData>;
export type ClosedConversationData = z.infer<typeof closedConversationData>;
export type MessageData = z.infer<typeof messageData>;
export type WebhookTestData = z.infer<typeof webhookTestData>;
export type WebhookDisabledData = z.infer<typeof webhookDisabledData>;
export type DeliveryFailedData = z.infer<typeof deliveryFailedData>;

export const eventCatalog = {
  'conversation.started': { description: 'A visitor started a conversation.', data: conversationData },
  'message.received': { description: 'A visitor sent a message.', data: messageData },
  'message.sent': { description: 'An agent replied to a visitor.', data: messageData },
  'conversation.closed': { description: 'An agent or the visitor closed a conversation.', data: closedConversationData },
  'webhook.test': { description: 'Sent by the Test action to check a webhook end to end.', data: webhookTestData },
  'webhook.disabled': {
    description: 'The server disabled a webhook (410 Gone, a refusal by Slack or Discord, or failing for too long). Never sent to that webhook.',
    data: webhookDisabledData,
  },
  'delivery.failed': {
    description: 'A delivery used up its attempts and is failed for good. Never sent to the webhook it failed at.',
    data: deliveryFailedData,
  },
} as const;

export type EventName = keyof typeof eventCatalog;
export type EventData<E extends EventName> = z.infer<(typeof eventCatalog)[E]['data']>;

/** Events the chat server announces on its hook bus. */
export const chatEvents = ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'] as const;
export type ChatEventName = (typeof chatEvents)[number];

/** Events the webhooks plugin raises about its own webhooks (SPEC §10). */
export const operationalEvents = ['webhook.disabled', 'delivery.failed'] as const;
export type OperationalEventName = (typeof operationalEvents)[number];

/** Events an admin can subscribe a webhook to (webhook.test is sent on demand only). */
export const subscribableEvents = [...chatEvents, ...operationalEvents] as const;

/** An event as it is planned into deliveries: which, when it happened, and its data. */
export type EventPayload<E extends EventName = EventName> = { event: E; occurredAt: Date; data: EventData<E> };

/** The envelope every webhook receives (SPEC §5). */
export const envelopeSchema = z.object({
  event: z.enum(Object.keys(eventCatalog) as [EventName, ...EventName[]]),
  delivery_id: z.uuid(),
  timestamp: iso,
  data: z.record(z.string(), z.unknown()),
});
export type Envelope<E extends EventName = EventName> = {
  event: E;
  delivery_id: string;
  timestamp: string;
  data: EventData<E>;
};
