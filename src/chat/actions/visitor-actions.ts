import { UniqueConstraintError, type Transaction } from 'sequelize';
import type { ChatContext } from './context.js';
import { closeLockedConversation, type ClosedConversation } from './close-conversation.js';
import type { ConversationRow, MessageRow, VisitorRow } from '../store/models.js';
import type { ContactDetails } from '../store/visitors.js';
import { conversationData, messageData } from '../event-data.js';
import { writeTransaction } from '../../db/write-queue.js';

/**
 * The visitor's use cases (SPEC §3). Each runs in one transaction that also carries the hook's
 * durable listeners, and resolves only after it commits: the caller acks after that.
 */

/** Who is asking: the token's hash always, the visitor row once it exists (created lazily). */
export interface VisitorIdentity {
  tokenHash: string;
  visitorId: number | null;
  ip: string | null;
}

type StartDetails = ContactDetails & { current_url?: string };

/** Returns the visitor's open conversation, or starts one and fires `conversation.started`. */
export async function startConversation(
  ctx: ChatContext,
  who: VisitorIdentity,
  details: StartDetails,
): Promise<{ visitorId: number; conversation: ConversationRow; started: boolean }> {
  return withConversationPoint(ctx, who, async (takePoint) =>
    writeTransaction(ctx.sequelize, async (t) => {
      const visitor = await lockOrCreateVisitor(ctx, who, details, t);
      const open = await ctx.conversations.findOpenForVisitor(visitor.id, t);
      if (open) return { visitorId: visitor.id, conversation: open, started: false };
      await takePoint();
      const conversation = await openConversation(ctx, visitor, who.ip, details.current_url, t);
      return { visitorId: visitor.id, conversation, started: true };
    }),
  );
}

/** What sendVisitorMessage answers; `duplicate` when a resend found the original (nothing new stored or fired). */
export interface SentMessage {
  visitorId: number;
  conversation: ConversationRow;
  message: MessageRow;
  started: boolean;
  duplicate: boolean;
}

/**
 * Stores a visitor's message and fires `message.received`. With no open conversation it first
 * starts one (firing `conversation.started`): a message after a close begins a new conversation.
 *
 * With a `client_message_id` this visitor already used, it answers the original message instead
 * (SPEC §3 "Resending is safe"). The visitor row's lock orders this visitor's sends, so the lookup
 * sees any earlier try that committed, and waits for one still running. What the lock cannot order
 * (two first tries that both create the visitor) ends in a unique-key violation, answered the same
 * way once the winner has committed.
 */
export async function sendVisitorMessage(
  ctx: ChatContext,
  who: VisitorIdentity,
  input: { content: string; current_url?: string; client_message_id?: string },
): Promise<SentMessage> {
  await ctx.limits.message(who.tokenHash);
  const clientId = input.client_message_id;
  let visitorId = who.visitorId;
  try {
    return await withConversationPoint(ctx, who, async (takePoint) =>
      writeTransaction(ctx.sequelize, async (t): Promise<SentMessage> => {
        const visitor = await lockOrCreateVisitor(ctx, who, {}, t);
        visitorId = visitor.id;
        const original = clientId === undefined ? null : await ctx.messages.findByClientId(visitor.id, clientId, t);
        if (original) return { ...(await originalOf(ctx, visitor.id, original, t)), started: false };
        let conversation = await ctx.conversations.findOpenForVisitor(visitor.id, t);
        const started = conversation === null;
        if (!conversation) {
          await takePoint();
          conversation = await openConversation(ctx, visitor, who.ip, input.current_url, t);
        }
        const now = ctx.now();
        const message = await ctx.messages.insert(
          { conversationId: conversation.id, content: input.content, isFromAdmin: false, adminName: null, now, visitorId: visitor.id, clientMessageId: clientId },
          t,
        );
        await ctx.conversations.touch(conversation.id, { now, currentUrl: input.current_url }, t);
        conversation = { ...conversation, updated_at: now, current_url: input.current_url ?? conversation.current_url };
        await ctx.hooks.emit('message.received', messageData(conversation, message), { transaction: t, occurredAt: now });
        return { visitorId: visitor.id, conversation, message, started, duplicate: false };
      }),
    );
  } catch (err) {
    // The whole attempt rolled back (its hooks with it); another try stored this id first.
    if (clientId === undefined || !(err instanceof UniqueConstraintError)) throw err;
    const winner = visitorId ?? (await ctx.visitors.findByTokenHash(who.tokenHash))?.id ?? null;
    const original = winner === null ? null : await ctx.messages.findByClientId(winner, clientId);
    if (!original) throw err;
    return { ...(await originalOf(ctx, original.visitor_id ?? winner!, original)), started: false };
  }
}

/** The answer to a resend: the original message in its conversation, as first stored. */
async function originalOf(ctx: ChatContext, visitorId: number, message: MessageRow, t?: Transaction) {
  const conversation = await ctx.conversations.findById(message.conversation_id, t);
  if (!conversation) throw new Error(`message ${message.id} has no conversation ${message.conversation_id}`);
  return { visitorId, conversation, message, duplicate: true };
}

/** Closes the visitor's open conversation, if any, firing `conversation.closed`. */
export async function closeVisitorConversation(ctx: ChatContext, who: VisitorIdentity): Promise<ClosedConversation | null> {
  if (who.visitorId === null) return null;
  const visitorId = who.visitorId;
  return writeTransaction(ctx.sequelize, async (t) => {
    const visitor = await ctx.visitors.lock(visitorId, t);
    const open = visitor && (await ctx.conversations.findOpenForVisitor(visitor.id, t));
    return open ? closeLockedConversation(ctx, open, t) : null;
  });
}

/** The visitor's row, write-locked; inserted (with the token's hash) on their first conversation. */
async function lockOrCreateVisitor(ctx: ChatContext, who: VisitorIdentity, details: ContactDetails, t: Transaction): Promise<VisitorRow> {
  const now = ctx.now();
  // Another socket with the same token (a second tab, a reconnect) may have created the row since.
  // Inside the transaction: a second pool connection per transaction would starve the pool.
  const knownId = who.visitorId ?? (await ctx.visitors.findByTokenHash(who.tokenHash, t))?.id ?? null;
  const existing = knownId === null ? null : await ctx.visitors.lock(knownId, t);
  if (!existing) return ctx.visitors.insert({ tokenHash: who.tokenHash, ip: who.ip, now, ...details }, t);
  if (details.name !== undefined || details.email !== undefined || details.phone !== undefined || who.ip !== existing.ip) {
    await ctx.visitors.updateContact(existing.id, { ...details, ip: who.ip, now }, t);
    return { ...existing, ...details, ip: who.ip ?? existing.ip };
  }
  return existing;
}

async function openConversation(ctx: ChatContext, visitor: VisitorRow, ip: string | null, currentUrl: string | undefined, t: Transaction): Promise<ConversationRow> {
  const now = ctx.now();
  const conversation = await ctx.conversations.insert(
    {
      visitor_id: visitor.id,
      visitor_name: visitor.name,
      visitor_email: visitor.email,
      visitor_phone: visitor.phone,
      visitor_ip: ip ?? visitor.ip,
      current_url: currentUrl ?? null,
      now,
    },
    t,
  );
  await ctx.hooks.emit('conversation.started', conversationData(conversation), { transaction: t, occurredAt: now });
  return conversation;
}

/**
 * Runs `work` with a way to charge the per-IP new-conversation limit at most once, however
 * often a deadlock retry re-runs the transaction; the point is given back if nothing committed.
 */
async function withConversationPoint<T>(ctx: ChatContext, who: VisitorIdentity, work: (takePoint: () => Promise<void>) => Promise<T>): Promise<T> {
  let taken = false;
  try {
    return await work(async () => {
      if (taken) return;
      await ctx.limits.conversation(who.ip);
      taken = true;
    });
  } catch (err) {
    if (taken) await ctx.limits.refundConversation(who.ip);
    throw err;
  }
}
