import type { Envelope, EventName } from '../../../events.js';
import { fit, text } from './text.js';

/**
 * What a chat message about an event says, before any service's markup: the Slack and Discord
 * renderers differ only in how they escape, cut and lay this out. Strings here are raw visitor text.
 */
export interface Summary {
  event: EventName;
  /** Short title, e.g. "New message from Ada Lovelace". */
  title: string;
  /** One line for notifications and plain-text fallbacks; includes an excerpt of the message. */
  headline: string;
  /** The message body (visitor or agent text, or the test message); renderers cut it to size. */
  quote: string | null;
  /** `url` marks a value that is a visitor-supplied address, shown as a link where the service allows. */
  fields: Array<{ label: string; value: string; url?: boolean }>;
  /** The conversation in the admin console, when PUBLIC_URL is set. */
  link: string | null;
  /** When the event happened (ISO 8601), or null when the envelope carries no valid time. */
  timestamp: string | null;
  color: number;
  footer: string;
}

const colors: Record<EventName, number> = {
  'conversation.started': 0x3b82f6,
  'message.received': 0x22c55e,
  'message.sent': 0x8b5cf6,
  'conversation.closed': 0x6b7280,
  'webhook.test': 0xf59e0b,
  'webhook.disabled': 0xef4444,
  'delivery.failed': 0xdc2626,
};

const unknown = '—';
const excerptLength = 200;

function excerpt(value: string): string {
  return fit(value.replace(/\s+/g, ' ').trim(), excerptLength);
}

/** `${publicUrl}/admin/conversations?id=…`, or null when PUBLIC_URL is unset or not an http(s) URL. */
export function conversationLink(publicUrl: string | undefined, conversationId: string | null): string | null {
  if (!publicUrl || conversationId === null) return null;
  try {
    const url = new URL(`${publicUrl.replace(/\/+$/, '')}/admin/conversations`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    url.searchParams.set('id', conversationId);
    return url.href;
  } catch {
    return null;
  }
}

function isoTime(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Turns an envelope into what the message says. Tolerates missing or odd fields in stored payloads. */
export function summarise(envelope: Envelope, options: { publicUrl?: string }): Summary {
  const event = envelope.event;
  const d = (envelope.data ?? {}) as Record<string, unknown>;
  const conversationId = text(d.conversation_id);
  const visitor = text(d.visitor_name) ?? 'Anonymous visitor';
  const conversation = conversationId === null ? 'a conversation' : `conversation #${conversationId}`;
  const contact = [
    { label: 'Email', value: text(d.visitor_email) ?? unknown },
    { label: 'Phone', value: text(d.visitor_phone) ?? unknown },
    { label: 'Page', value: text(d.current_url) ?? unknown, url: text(d.current_url) !== null },
  ];
  const base = {
    event,
    link: conversationLink(options.publicUrl, conversationId),
    timestamp: isoTime(envelope.timestamp),
    color: colors[event] ?? 0x6b7280,
    footer: [event, conversationId === null ? null : `conversation #${conversationId}`, `delivery ${text(envelope.delivery_id) ?? unknown}`]
      .filter(Boolean)
      .join(' · '),
  };

  switch (event) {
    case 'conversation.started':
      return {
        ...base,
        title: `New conversation from ${visitor}`,
        headline: `${visitor} started ${conversation}`,
        quote: null,
        fields: [{ label: 'Visitor', value: visitor }, ...contact],
      };
    case 'message.received': {
      const content = text(d.content) ?? '';
      return {
        ...base,
        title: `New message from ${visitor}`,
        headline: `${visitor} wrote in ${conversation}: ${excerpt(content)}`,
        quote: content,
        fields: [{ label: 'Visitor', value: visitor }, ...contact],
      };
    }
    case 'message.sent': {
      const agent = text(d.admin_name) ?? 'An agent';
      const content = text(d.content) ?? '';
      return {
        ...base,
        title: `${agent} replied to ${visitor}`,
        headline: `${agent} replied in ${conversation}: ${excerpt(content)}`,
        quote: content,
        fields: [{ label: 'Agent', value: agent }, { label: 'Visitor', value: visitor }, ...contact],
      };
    }
    case 'conversation.closed':
      return {
        ...base,
        title: `Conversation with ${visitor} closed`,
        headline: `${conversation.replace(/^c/, 'C')} with ${visitor} was closed`,
        quote: null,
        fields: [
          { label: 'Visitor', value: visitor },
          ...contact,
          { label: 'Started', value: isoTime(d.created_at) ?? unknown },
          { label: 'Closed', value: isoTime(d.closed_at) ?? unknown },
        ],
      };
    case 'webhook.test': {
      const name = text(d.webhook_name) ?? 'webhook';
      const message = text(d.message) ?? 'This is a test delivery.';
      return {
        ...base,
        title: `Test message for ${name}`,
        headline: `Test from live chat: ${excerpt(message)}`,
        quote: message,
        fields: [{ label: 'Webhook', value: `${name} (#${text(d.webhook_id) ?? unknown})` }],
      };
    }
    case 'webhook.disabled': {
      const name = text(d.webhook_name) ?? 'A webhook';
      const reason = text(d.reason) ?? 'no reason given';
      return {
        ...base,
        title: `Webhook ${name} was disabled`,
        headline: `Webhook ${name} (#${text(d.webhook_id) ?? unknown}) was disabled: ${excerpt(reason)}`,
        quote: reason,
        fields: [
          { label: 'Webhook', value: `${name} (#${text(d.webhook_id) ?? unknown})` },
          { label: 'Disabled', value: isoTime(d.disabled_at) ?? unknown },
        ],
      };
    }
    case 'delivery.failed': {
      const name = text(d.webhook_name) ?? 'a webhook';
      const status = text(d.last_status_code);
      const error = text(d.last_error);
      return {
        ...base,
        title: `A delivery to ${name} failed`,
        headline: `${text(d.event) ?? 'An event'} could not be delivered to ${name} after ${text(d.attempts) ?? unknown} attempts${error ? `: ${excerpt(error)}` : ''}`,
        quote: error,
        fields: [
          { label: 'Webhook', value: `${name} (#${text(d.webhook_id) ?? unknown})` },
          { label: 'Event', value: text(d.event) ?? unknown },
          { label: 'Delivery', value: text(d.delivery_id) ?? unknown },
          { label: 'Last status', value: status ?? 'no response' },
        ],
      };
    }
    default:
      // An event added to the catalog before a layout was written here still gets a readable message.
      return { ...base, title: `Live chat event ${String(event)}`, headline: `Live chat event ${String(event)}`, quote: null, fields: [] };
  }
}
