import type { ChatContext } from './context.js';
import { closeLockedConversation, type ClosedConversation } from './close-conversation.js';
import type { ConversationRow, MessageRow } from '../store/models.js';
import { conversationSummary, messageData } from '../event-data.js';
import type { ConversationSummary } from '../protocol.js';
import { ChatError } from '../errors.js';
import { writeTransaction } from '../../db/write-queue.js';
import { queryTerms } from '../store/search-terms.js';

/** The agent's use cases (SPEC §4). Writes commit with their hook's durable listeners. */

/** The console's list never grows without bound; older conversations are paged by status. */
export const CONVERSATION_LIST_LIMIT = 200;

export async function listConversations(ctx: ChatContext, status?: 'open' | 'closed'): Promise<ConversationSummary[]> {
  return summaries(ctx, await ctx.conversations.list({ status, limit: CONVERSATION_LIST_LIMIT }));
}

/** How many conversations a search or a visitor's history shows. */
export const SEARCH_LIMIT = 50;

async function summaries(ctx: ChatContext, rows: ConversationRow[]): Promise<ConversationSummary[]> {
  const latest = await ctx.messages.latestOf(rows.map((r) => r.id));
  return rows.map((row) => conversationSummary(row, latest.get(row.id) ?? null));
}

/** Conversations whose visitor name, email or messages have words starting with each word of the query. */
export async function searchConversations(ctx: ChatContext, query: string): Promise<ConversationSummary[]> {
  const ids = await ctx.conversations.search(queryTerms(query), SEARCH_LIMIT);
  return summaries(ctx, await ctx.conversations.byIds(ids));
}

/** The visitor's earlier (and other) conversations, newest first. */
export async function visitorHistory(ctx: ChatContext, conversationId: number): Promise<ConversationSummary[]> {
  const conversation = await ctx.conversations.findById(conversationId);
  if (!conversation) throw notFound(conversationId);
  return summaries(ctx, await ctx.conversations.othersOfVisitor(conversation, SEARCH_LIMIT));
}

export async function conversationHistory(
  ctx: ChatContext,
  conversationId: number,
  page: { beforeId?: number; limit?: number },
): Promise<{ conversation: ConversationRow; messages: MessageRow[]; hasMore: boolean }> {
  const conversation = await ctx.conversations.findById(conversationId);
  if (!conversation) throw notFound(conversationId);
  const { messages, hasMore } = await ctx.messages.history(conversationId, { beforeId: page.beforeId, limit: page.limit ?? 200 });
  return { conversation, messages, hasMore };
}

/** Stores an agent's reply and fires `message.sent`. A closed conversation takes no replies. */
export async function sendAgentMessage(
  ctx: ChatContext,
  input: { conversationId: number; content: string; adminName: string | null },
): Promise<{ conversation: ConversationRow; message: MessageRow }> {
  return writeTransaction(ctx.sequelize, async (t) => {
    const found = await ctx.conversations.findById(input.conversationId, t);
    if (!found) throw notFound(input.conversationId);
    if (found.status !== 'open') throw new ChatError('conversation_closed', `Conversation ${input.conversationId} is closed`);
    const now = ctx.now();
    const message = await ctx.messages.insert(
      { conversationId: found.id, content: input.content, isFromAdmin: true, adminName: input.adminName, now },
      t,
    );
    await ctx.conversations.touch(found.id, { now }, t);
    const conversation = { ...found, updated_at: now };
    await ctx.hooks.emit('message.sent', messageData(conversation, message), { transaction: t, occurredAt: now });
    return { conversation, message };
  });
}

/**
 * Closes a conversation, firing `conversation.closed`. Closing one that is already closed
 * succeeds without firing again (`closed: null`), so a retried close is harmless.
 */
export async function closeConversationAsAgent(ctx: ChatContext, conversationId: number): Promise<ClosedConversation | null> {
  return writeTransaction(ctx.sequelize, async (t) => {
    const conversation = await ctx.conversations.findById(conversationId, t);
    if (!conversation) throw notFound(conversationId);
    return conversation.status === 'open' ? closeLockedConversation(ctx, conversation, t) : null;
  });
}

/** Where an agent's typing notice must go: the conversation's visitor. */
export async function conversationVisitor(ctx: ChatContext, conversationId: number): Promise<number> {
  const conversation = await ctx.conversations.findById(conversationId);
  if (!conversation) throw notFound(conversationId);
  return conversation.visitor_id;
}

function notFound(id: number): ChatError {
  return new ChatError('not_found', `No conversation ${id}`);
}
