/** The `/widget` Socket.IO protocol as the visitor sees it (SPEC §3). */

export type ErrorCode = 'invalid_input' | 'not_found' | 'rate_limited' | 'conversation_closed' | 'internal';

/** Every ack is `{ ok: true, ...result }` or `{ ok: false, error }`. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: { code: ErrorCode | string; message: string } };

export interface Session {
  visitor_token: string;
  conversation_id: number | null;
}

export interface ChatMessage {
  message_id: number;
  conversation_id: number;
  content: string;
  is_from_admin: boolean;
  admin_name: string | null;
  created_at: string;
}

export interface StartPayload {
  name?: string;
  email?: string;
  current_url?: string;
}

export interface SendPayload {
  content: string;
  current_url?: string;
  /** 1..64 characters, unique per visitor: a resend under the same id is answered with the original. */
  client_message_id?: string;
}

export interface ServerToClientEvents {
  session(session: Session): void;
  message(message: ChatMessage): void;
  'conversation:closed'(payload: { conversation_id: number }): void;
  /** Sent by servers that relay agent typing; optional. */
  typing(payload: { is_typing: boolean; admin_name?: string | null }): void;
}

export interface ClientToServerEvents {
  'conversation:start'(payload: StartPayload, ack: (ack: Ack<{ conversation_id: number; visitor_token: string }>) => void): void;
  'message:send'(payload: SendPayload, ack: (ack: Ack<{ message_id: number; conversation_id: number; created_at: string }>) => void): void;
  typing(payload: { is_typing: boolean }, ack: (ack: Ack) => void): void;
  'conversation:close'(payload: Record<string, never>, ack: (ack: Ack) => void): void;
}

/** The longest message the server accepts. */
export const MAX_MESSAGE_LENGTH = 5000;
