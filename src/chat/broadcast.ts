import type { BroadcastOperator } from 'socket.io';
import type { ClosedConversation } from './actions/close-conversation.js';
import { closedConversationData, conversationSummary, messageData, messageView } from './event-data.js';
import type { AgentServerEvents, AgentTypingPush, TypingPush, WidgetServerEvents } from './protocol.js';
import { AGENTS_ROOM, visitorRoom } from './rooms.js';
import type { ConversationRow, MessageRow } from './store/models.js';

/** A namespace as far as pushing goes: its rooms. Pushes never read a socket's data. */
interface Rooms<Events extends WidgetServerEvents | AgentServerEvents> {
  to(room: string): BroadcastOperator<Events, unknown>;
}

/**
 * Every push to visitors (`/widget`, SPEC §3) and agents (`/agent`, SPEC §4), whichever side
 * caused it, so neither namespace needs the other. Pushes go to rooms (see rooms.ts).
 */
export interface Broadcast {
  /** To every agent. */
  conversationStarted(conversation: ConversationRow): void;
  /** To every agent and every tab of the visitor, but `exceptSocket`, which has it from its ack. */
  message(conversation: ConversationRow, message: MessageRow, exceptSocket?: string): void;
  /** To every agent and every tab of the visitor. */
  conversationClosed(closed: ClosedConversation): void;
  /** The visitor typing, to every agent. */
  visitorTyping(typing: TypingPush): void;
  /** An agent typing, to every tab of the visitor. */
  agentTyping(visitorId: number, typing: AgentTypingPush): void;
}

export function createBroadcast(visitors: Rooms<WidgetServerEvents>, agents: Rooms<AgentServerEvents>): Broadcast {
  const toVisitor = (visitorId: number) => visitors.to(visitorRoom(visitorId));
  const toAgents = () => agents.to(AGENTS_ROOM);
  return {
    conversationStarted: (conversation) => {
      toAgents().emit('conversation:started', conversationSummary(conversation, null));
    },
    message: (conversation, message, exceptSocket) => {
      const tabs = toVisitor(conversation.visitor_id);
      (exceptSocket === undefined ? tabs : tabs.except(exceptSocket)).emit('message', messageView(message));
      toAgents().emit('message', messageData(conversation, message));
    },
    conversationClosed: (closed) => {
      toVisitor(closed.visitor_id).emit('conversation:closed', { conversation_id: closed.id });
      toAgents().emit('conversation:closed', closedConversationData(closed));
    },
    visitorTyping: (typing) => {
      toAgents().emit('typing', typing);
    },
    agentTyping: (visitorId, typing) => {
      toVisitor(visitorId).emit('typing', typing);
    },
  };
}
