import type { Namespace, Socket } from 'socket.io';
import type { Logger } from '../logger.js';
import { NUL_MESSAGE, wellFormed } from '../text.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { ChatContext } from './actions/context.js';
import type { Broadcast } from './broadcast.js';
import {
  closeConversationAsAgent,
  conversationHistory,
  conversationVisitor,
  listConversations,
  searchConversations,
  sendAgentMessage,
  visitorHistory,
} from './actions/agent-actions.js';
import { messageView } from './event-data.js';
import { onEvent } from './handle-event.js';
import type { InFlight } from './in-flight.js';
import type { AgentClientEvents, AgentResults, AgentServerEvents } from './protocol.js';
import { AGENTS_ROOM } from './rooms.js';
import { agentSchemas } from './schemas.js';

export interface AgentSocketData {
  /** Shown to visitors as `admin_name`. */
  agentName: string | null;
  /** The agent account signed in (its name is fixed), or null for an API key (a machine). */
  agentId: number | null;
}

/**
 * Who a console connection is: an agent account (answers under its own name) or an API-key
 * admin session (`agentId` null, anonymous like a machine key). `true` is an anonymous yes.
 */
export interface AgentIdentity {
  agentId: number | null;
  name: string | null;
}

export type AgentNamespace = Namespace<AgentClientEvents, AgentServerEvents, Record<string, never>, AgentSocketData>;
type AgentSocket = Socket<AgentClientEvents, AgentServerEvents, Record<string, never>, AgentSocketData>;
export type AgentHandshake = Socket['handshake'];

export interface AgentOptions {
  apiKeys: ApiKeyStore;
  /** A second way in, e.g. the admin console's session cookie; the API key always works. */
  verifyAgentHandshake?: (handshake: AgentHandshake) => Promise<AgentIdentity | boolean | null>;
  logger: Logger;
  inFlight: InFlight;
  ackTimeoutMs: number;
}

/**
 * The `/agent` namespace (SPEC §4): agents see every conversation, reply and close. A client
 * without valid credentials gets `connect_error` with the message `unauthorized`.
 */
export function attachAgentNamespace(ctx: ChatContext, agents: AgentNamespace, push: Broadcast, options: AgentOptions): void {
  const { logger } = options;

  agents.use(async (socket, next) => {
    try {
      const auth: unknown = socket.handshake.auth;
      const fields = typeof auth === 'object' && auth !== null ? (auth as { apiKey?: unknown; name?: unknown }) : {};
      if (typeof fields.name === 'string' && fields.name.includes('\u0000')) {
        return next(Object.assign(new Error('invalid_input'), { data: { code: 'invalid_input', message: `name: ${NUL_MESSAGE}` } }));
      }
      // Cut by code points so a cut emoji leaves no lone surrogate; SPEC §5 then fixes any sent.
      const name = typeof fields.name === 'string' ? wellFormed(Array.from(fields.name.trim()).slice(0, 255).join('')) : '';
      if (await options.apiKeys.verify(fields.apiKey)) {
        socket.data = { agentName: name || null, agentId: null };
        return next();
      }
      const identity = options.verifyAgentHandshake ? await options.verifyAgentHandshake(socket.handshake) : null;
      if (!identity) return next(new Error('unauthorized'));
      socket.data = identity === true || identity.agentId === null ? { agentName: name || null, agentId: null } : { agentName: identity.name, agentId: identity.agentId };
      next();
    } catch (err) {
      logger.error({ err }, 'agent handshake failed');
      next(new Error('unauthorized'));
    }
  });

  agents.on('connection', (socket: AgentSocket) => {
    void socket.join(AGENTS_ROOM);
    const events = { inFlight: options.inFlight, logger, timeoutMs: options.ackTimeoutMs };

    onEvent(socket, 'conversations:list', agentSchemas['conversations:list'], async ({ status }): Promise<AgentResults['conversations:list']> => {
      return { conversations: await listConversations(ctx, status) };
    }, events);

    onEvent(socket, 'conversation:messages', agentSchemas['conversation:messages'], async (input): Promise<AgentResults['conversation:messages']> => {
      const { messages, hasMore } = await conversationHistory(ctx, input.conversation_id, { beforeId: input.before_id, limit: input.limit });
      return { conversation_id: input.conversation_id, messages: messages.map(messageView), has_more: hasMore };
    }, events);

    onEvent(socket, 'conversations:search', agentSchemas['conversations:search'], async ({ query }): Promise<AgentResults['conversations:search']> => {
      return { query, conversations: await searchConversations(ctx, query) };
    }, events);

    onEvent(socket, 'visitor:history', agentSchemas['visitor:history'], async ({ conversation_id }): Promise<AgentResults['visitor:history']> => {
      return { conversation_id, conversations: await visitorHistory(ctx, conversation_id) };
    }, events);

    onEvent(socket, 'message:send', agentSchemas['message:send'], async (input): Promise<AgentResults['message:send']> => {
      // A signed-in agent answers as themselves (SPEC §4); only a machine key may name someone.
      const adminName = socket.data.agentId !== null ? socket.data.agentName : (input.admin_name ?? socket.data.agentName);
      const { conversation, message } = await sendAgentMessage(ctx, { conversationId: input.conversation_id, content: input.content, adminName });
      push.message(conversation, message);
      return { message_id: message.id, conversation_id: conversation.id, created_at: message.created_at.toISOString() };
    }, events);

    onEvent(socket, 'conversation:close', agentSchemas['conversation:close'], async ({ conversation_id }): Promise<AgentResults['conversation:close']> => {
      const closed = await closeConversationAsAgent(ctx, conversation_id);
      if (closed) push.conversationClosed(closed);
      return {};
    }, events);

    onEvent(socket, 'typing', agentSchemas.typing, async ({ conversation_id, is_typing, admin_name }): Promise<AgentResults['typing']> => {
      const visitorId = await conversationVisitor(ctx, conversation_id);
      const name = socket.data.agentId !== null ? socket.data.agentName : (admin_name ?? socket.data.agentName);
      push.agentTyping(visitorId, { conversation_id, is_typing, admin_name: name });
      return {};
    }, events);
  });
}
