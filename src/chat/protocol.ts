import type { ChatErrorCode } from './errors.js';
import type { ClosedConversationData, ConversationData, MessageData } from '../events.js';

/**
 * The Socket.IO contract of SPEC §3 (widget) and §4 (agent) as types: what each namespace
 * pushes, and what each client event answers through its ack.
 */

/** Every ack: `{ ok: true, ...result }` or `{ ok: false, error: { code, message } }`. */
export type AckResponse<T extends object> = ({ ok: true } & T) | { ok: false; error: { code: ChatErrorCode; message: string } };
export type Ack<T extends object> = (response: AckResponse<T>) => void;

/** A message as the widget and the console show it (SPEC §3 `message`). */
export interface MessageView {
  message_id: number;
  conversation_id: number;
  content: string;
  is_from_admin: boolean;
  admin_name: string | null;
  created_at: string;
}

/** One row of the agent console's conversation list. */
export interface ConversationSummary extends ConversationData {
  closed_at: string | null;
  updated_at: string;
  /** The latest message, its content cut to an excerpt (see excerpt()); null before the first message. */
  last_message: Omit<MessageView, 'conversation_id'> | null;
}

export interface SessionPush {
  visitor_token: string;
  conversation_id: number | null;
}

export interface TypingPush {
  conversation_id: number;
  is_typing: boolean;
}

/** An agent typing, as the visitor sees it: who, so the widget can say "Alice is typing…". */
export interface AgentTypingPush extends TypingPush {
  admin_name: string | null;
}

/** Server → visitor (`/widget`). */
export interface WidgetServerEvents {
  session: (session: SessionPush) => void;
  message: (message: MessageView) => void;
  'conversation:closed': (closed: { conversation_id: number }) => void;
  typing: (typing: AgentTypingPush) => void;
}

/** Server → agent (`/agent`), for every conversation. */
export interface AgentServerEvents {
  'conversation:started': (conversation: ConversationSummary) => void;
  message: (message: MessageData) => void;
  'conversation:closed': (conversation: ClosedConversationData) => void;
  typing: (typing: TypingPush) => void;
}

/** What each client event answers on success. */
export interface WidgetResults {
  'conversation:start': { conversation_id: number; visitor_token: string };
  'message:send': { message_id: number; conversation_id: number; created_at: string };
  typing: Record<string, never>;
  'conversation:close': Record<string, never>;
}

export interface AgentResults {
  'conversations:list': { conversations: ConversationSummary[] };
  'conversation:messages': { conversation_id: number; messages: MessageView[]; has_more: boolean };
  'message:send': { message_id: number; conversation_id: number; created_at: string };
  'conversation:close': Record<string, never>;
  typing: Record<string, never>;
  /** Conversations whose visitor name, email or messages contain words starting with each word of `query`; newest first. */
  'conversations:search': { query: string; conversations: ConversationSummary[] };
  /** The same visitor's other conversations (same visitor, or the same email given), newest first. */
  'visitor:history': { conversation_id: number; conversations: ConversationSummary[] };
}

/**
 * Client → server events. Payloads are untrusted until their zod schema has parsed them, so the
 * listener signature says `unknown`.
 */
export type UntrustedEvents<Names extends string> = { [K in Names]: (...args: unknown[]) => void };
export type WidgetClientEvents = UntrustedEvents<keyof WidgetResults>;
export type AgentClientEvents = UntrustedEvents<keyof AgentResults>;
