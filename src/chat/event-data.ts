import type { ClosedConversationData, ConversationData, MessageData } from '../events.js';
import type { ConversationRow, MessageRow } from './store/models.js';
import type { ConversationSummary, MessageView } from './protocol.js';

/** Rows → the SPEC §5 hook data and the socket push shapes. Pure; times as ISO 8601 UTC. */

export function conversationData(c: ConversationRow): ConversationData {
  return {
    conversation_id: c.id,
    visitor_name: c.visitor_name,
    visitor_email: c.visitor_email,
    visitor_phone: c.visitor_phone,
    visitor_ip: c.visitor_ip,
    current_url: c.current_url,
    status: c.status,
    created_at: c.created_at.toISOString(),
  };
}

export function closedConversationData(c: ConversationRow & { closed_at: Date }): ClosedConversationData {
  return { ...conversationData(c), status: 'closed', closed_at: c.closed_at.toISOString() };
}

export function messageData(c: ConversationRow, m: MessageRow): MessageData {
  return {
    ...conversationData(c),
    message_id: m.id,
    content: m.content,
    is_from_admin: m.is_from_admin,
    admin_name: m.admin_name,
    created_at: m.created_at.toISOString(),
  };
}

export function messageView(m: MessageRow): MessageView {
  return {
    message_id: m.id,
    conversation_id: m.conversation_id,
    content: m.content,
    is_from_admin: m.is_from_admin,
    admin_name: m.admin_name,
    created_at: m.created_at.toISOString(),
  };
}

export const EXCERPT_LENGTH = 140;

/** The start of a message for a list row: at most EXCERPT_LENGTH characters, ending in … when cut. */
export function excerpt(content: string, length = EXCERPT_LENGTH): string {
  const chars = Array.from(content.replace(/\s+/g, ' ').trim());
  return chars.length <= length ? chars.join('') : chars.slice(0, length - 1).join('') + '…';
}

export function conversationSummary(c: ConversationRow, last: MessageRow | null): ConversationSummary {
  return {
    ...conversationData(c),
    closed_at: c.closed_at ? c.closed_at.toISOString() : null,
    updated_at: c.updated_at.toISOString(),
    last_message: last
      ? {
          message_id: last.id,
          content: excerpt(last.content),
          is_from_admin: last.is_from_admin,
          admin_name: last.admin_name,
          created_at: last.created_at.toISOString(),
        }
      : null,
  };
}
