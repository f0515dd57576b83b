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

export type ConversationData = z.infer<typeof conversationData>;
export type ClosedConversationData = z.infer<typeof closedConversationData>;
export type MessageData = z.infer<typeof messageData>;
export type WebhookTestData = z.infer<typeof webhookTestData>;

export const eventCatalog = {
  'conversation.started': { description: 'A visitor started a conversation.', data: conversationData },
  'message.received': { description: 'A visitor sent a message.', data: messageData },
  'message.sent': { description: 'An agent replied to a visitor.', data: messageData },
  'conversation.closed': { description: 'An agent or the visitor closed a conversation.', data: closedConversationData },
  'webhook.test': { description: 'Sent by the Test action to check a webhook end to end.', data: webhookTestData },
} as const;

export type EventName = keyof typeof eventCatalog;
export type EventData<E extends EventName> = z.infer<(typeof eventCatalog)[E]['data']>;

/** Events an admin can subscribe a webhook to (webhook.test is sent on demand only). */
export const subscribableEvents = ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'] as const;
export type ChatEventName = (typeof subscribableEvents)[number];

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
