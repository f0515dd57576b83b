import type { Transaction } from 'sequelize';
import type { ChatContext } from './context.js';
import type { ConversationRow } from '../store/models.js';
import { closedConversationData } from '../event-data.js';

export type ClosedConversation = ConversationRow & { status: 'closed'; closed_at: Date };

/**
 * Closes a conversation the caller has write-locked in `t` and announces `conversation.closed`
 * in the same transaction, so the close and its webhook deliveries commit together.
 */
export async function closeLockedConversation(ctx: ChatContext, conversation: ConversationRow, t: Transaction): Promise<ClosedConversation> {
  const closedAt = ctx.now();
  await ctx.conversations.close(conversation.id, closedAt, t);
  const closed: ClosedConversation = { ...conversation, status: 'closed', closed_at: closedAt, updated_at: closedAt };
  await ctx.hooks.emit('conversation.closed', closedConversationData(closed), { transaction: t, occurredAt: closedAt });
  return closed;
}
