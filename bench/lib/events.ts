import { randomUUID } from 'node:crypto';
import type { MessageData } from '../../src/events.js';

/** A message.received payload shaped like the chat's (SPEC §5), with a chosen message_id, in one of `conversations` conversations. */
export function sampleMessage(messageId: number, conversations = 1000): MessageData {
  const now = new Date().toISOString();
  return {
    message_id: messageId,
    content: `Hello, I have a question about my order #${messageId}. Could someone help me with the delivery date?`,
    is_from_admin: false,
    admin_name: null,
    conversation_id: 1 + (messageId % conversations),
    visitor_name: 'Ada Lovelace',
    visitor_email: 'ada@example.com',
    visitor_phone: null,
    visitor_ip: '203.0.113.7',
    current_url: 'https://shop.example.com/orders/123',
    status: 'open',
    created_at: now,
  };
}

/** The envelope bytes of SPEC §5 for a sample message, as a sender would POST them. */
export function sampleEnvelope(messageId: number): { deliveryId: string; body: string } {
  const deliveryId = randomUUID();
  const body = JSON.stringify({ event: 'message.received', delivery_id: deliveryId, timestamp: new Date().toISOString(), data: sampleMessage(messageId) });
  return { deliveryId, body };
}
