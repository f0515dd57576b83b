import type { Namespace, Socket } from 'socket.io';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ChatContext } from './actions/context.js';
import { closeVisitorConversation, sendVisitorMessage, startConversation, type VisitorIdentity } from './actions/visitor-actions.js';
import { clientIp } from './client-ip.js';
import { onEvent } from './handle-event.js';
import { SerialQueue, SharedAttempts, type InFlight } from './in-flight.js';
import type { Broadcast } from './broadcast.js';
import type { WidgetClientEvents, WidgetResults, WidgetServerEvents } from './protocol.js';
import { visitorRoom } from './rooms.js';
import { widgetSchemas, type WidgetPayload } from './schemas.js';
import { hashVisitorToken, isWellFormedToken, newVisitorToken } from './visitor-token.js';

/** Per-socket state of a visitor, set by the handshake middleware. */
export interface VisitorSocketData {
  token: string;
  identity: VisitorIdentity;
  /** The open conversation as this socket last saw it; used only to route typing notices. */
  conversationId: number | null;
  queue: SerialQueue;
}

export type VisitorNamespace = Namespace<WidgetClientEvents, WidgetServerEvents, Record<string, never>, VisitorSocketData>;
type VisitorSocket = Socket<WidgetClientEvents, WidgetServerEvents, Record<string, never>, VisitorSocketData>;

export interface VisitorOptions {
  config: Config;
  logger: Logger;
  inFlight: InFlight;
  ackTimeoutMs: number;
}

/**
 * The `/widget` namespace (SPEC §3). A visitor is known by a random token the widget keeps; the
 * visitor row is written with their first conversation, so page views that never chat cost
 * nothing (a token issued then and never used is simply replaced on the next connect).
 */
export function attachVisitorNamespace(ctx: ChatContext, visitors: VisitorNamespace, push: Broadcast, options: VisitorOptions): void {
  const { config, logger } = options;
  const attempts = new SharedAttempts();

  visitors.use(async (socket, next) => {
    try {
      const auth: unknown = socket.handshake.auth;
      const presented = typeof auth === 'object' && auth !== null ? (auth as { token?: unknown }).token : undefined;
      const visitor = isWellFormedToken(presented) ? await ctx.visitors.findByTokenHash(hashVisitorToken(presented)) : null;
      const token = visitor && isWellFormedToken(presented) ? presented : newVisitorToken();
      const open = visitor ? await ctx.conversations.peekOpenForVisitor(visitor.id) : null;
      socket.data = {
        token,
        identity: {
          tokenHash: hashVisitorToken(token),
          visitorId: visitor?.id ?? null,
          ip: clientIp(socket.handshake.address, socket.handshake.headers['x-forwarded-for'], config.TRUST_PROXY),
        },
        conversationId: open?.id ?? null,
        queue: new SerialQueue(),
      };
      next();
    } catch (err) {
      logger.error({ err }, 'widget handshake failed');
      next(new Error('unavailable'));
    }
  });

  visitors.on('connection', (socket: VisitorSocket) => {
    const session = socket.data;
    const events = { inFlight: options.inFlight, logger, timeoutMs: options.ackTimeoutMs };
    const writes = { ...events, queue: session.queue };
    // Keyed by token, not socket: the visitor's other tabs and reconnects share their ids.
    const resendKey = (input: WidgetPayload<'message:send'>) =>
      input.client_message_id === undefined ? null : `${session.identity.tokenHash}\n${input.client_message_id}`;
    if (session.identity.visitorId !== null) void socket.join(visitorRoom(session.identity.visitorId));
    socket.emit('session', { visitor_token: session.token, conversation_id: session.conversationId });

    /** After a write: the visitor row exists now and this is their open conversation. */
    const adopt = (visitorId: number, conversationId: number | null) => {
      if (session.identity.visitorId === null) void socket.join(visitorRoom(visitorId));
      session.identity = { ...session.identity, visitorId };
      session.conversationId = conversationId;
    };

    onEvent(socket, 'conversation:start', widgetSchemas['conversation:start'], async (details): Promise<WidgetResults['conversation:start']> => {
      const { visitorId, conversation, started } = await startConversation(ctx, session.identity, details);
      adopt(visitorId, conversation.id);
      if (started) push.conversationStarted(conversation);
      return { conversation_id: conversation.id, visitor_token: session.token };
    }, writes);

    onEvent(socket, 'message:send', widgetSchemas['message:send'], async (input): Promise<WidgetResults['message:send']> => {
      const { visitorId, conversation, message, started, duplicate } = await sendVisitorMessage(ctx, session.identity, input);
      if (duplicate) {
        // A resend: the original try told the agents already.
        adopt(visitorId, conversation.status === 'open' ? conversation.id : session.conversationId);
        return { message_id: message.id, conversation_id: conversation.id, created_at: message.created_at.toISOString() };
      }
      adopt(visitorId, conversation.id);
      if (started) push.conversationStarted(conversation);
      push.message(conversation, message, socket.id);
      return { message_id: message.id, conversation_id: conversation.id, created_at: message.created_at.toISOString() };
    }, { ...writes, join: { attempts, key: resendKey } });

    onEvent(socket, 'typing', widgetSchemas.typing, async ({ is_typing }): Promise<WidgetResults['typing']> => {
      await ctx.limits.typing(socket.id);
      if (session.conversationId !== null) {
        push.visitorTyping({ conversation_id: session.conversationId, is_typing });
      }
      return {};
    }, events);

    onEvent(socket, 'conversation:close', widgetSchemas['conversation:close'], async (): Promise<WidgetResults['conversation:close']> => {
      const closed = await closeVisitorConversation(ctx, session.identity);
      session.conversationId = null;
      if (closed) push.conversationClosed(closed);
      return {};
    }, writes);
  });
}
