import { Op, type Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import { chatModels, type ConversationRow } from './models.js';
import { conversationTermsRepository } from './conversation-terms.js';
import { emailTerms, termsOf } from './search-terms.js';

export type NewConversation = Pick<
  ConversationRow,
  'visitor_id' | 'visitor_name' | 'visitor_email' | 'visitor_phone' | 'visitor_ip' | 'current_url'
> & { now: Date };

/** The `conversations` table. Ids are the public `conversation_id`. */
export function conversationsRepository(sequelize: Sequelize) {
  const { Conversation } = chatModels(sequelize);
  const plain = (row: { get(o: { plain: true }): ConversationRow } | null) => (row ? row.get({ plain: true }) : null);
  const terms = conversationTermsRepository(sequelize);

  return {
    /** The visitor's open conversation (the newest, should there ever be two), write-locked. */
    async findOpenForVisitor(visitorId: number, t: Transaction): Promise<ConversationRow | null> {
      return plain(
        await Conversation.findOne({
          where: { visitor_id: visitorId, status: 'open' },
          order: [['id', 'DESC']],
          transaction: t,
          lock: t.LOCK.UPDATE,
        }),
      );
    },

    /** Read-only lookup of the visitor's open conversation, e.g. on connect. */
    async peekOpenForVisitor(visitorId: number): Promise<ConversationRow | null> {
      return plain(await Conversation.findOne({ where: { visitor_id: visitorId, status: 'open' }, order: [['id', 'DESC']] }));
    },

    /** One conversation; write-locked when read inside a transaction. */
    async findById(id: number, t?: Transaction): Promise<ConversationRow | null> {
      return plain(await Conversation.findByPk(id, t ? { transaction: t, lock: t.LOCK.UPDATE } : {}));
    },

    async insert(fields: NewConversation, t: Transaction): Promise<ConversationRow> {
      const { now, ...rest } = fields;
      const row = await Conversation.create({ ...rest, status: 'open', closed_at: null, created_at: now, updated_at: now }, { transaction: t });
      const conversation = row.get({ plain: true });
      await terms.add(conversation.id, [...new Set([...termsOf(rest.visitor_name), ...emailTerms(rest.visitor_email)])], t);
      return conversation;
    },

    /** Marks new activity (it orders the agent's list) and, when given, the page the visitor is on. */
    async touch(id: number, fields: { now: Date; currentUrl?: string }, t: Transaction): Promise<void> {
      const changes: Partial<ConversationRow> = { updated_at: fields.now };
      if (fields.currentUrl !== undefined) changes.current_url = fields.currentUrl;
      await Conversation.update(changes, { where: { id }, transaction: t });
    },

    async close(id: number, closedAt: Date, t: Transaction): Promise<void> {
      await Conversation.update({ status: 'closed', closed_at: closedAt, updated_at: closedAt }, { where: { id }, transaction: t });
    },

    /** Newest activity first. */
    async list(options: { status?: 'open' | 'closed'; limit: number }): Promise<ConversationRow[]> {
      const where: WhereOptions<ConversationRow> = options.status ? { status: options.status } : { id: { [Op.gt]: 0 } };
      const rows = await Conversation.findAll({ where, order: [['updated_at', 'DESC'], ['id', 'DESC']], limit: options.limit });
      return rows.map((row) => row.get({ plain: true }));
    },

    /** These conversations, newest activity first (ids not found are left out). */
    async byIds(ids: readonly number[]): Promise<ConversationRow[]> {
      if (ids.length === 0) return [];
      const rows = await Conversation.findAll({ where: { id: [...ids] }, order: [['updated_at', 'DESC'], ['id', 'DESC']] });
      return rows.map((row) => row.get({ plain: true }));
    },

    /**
     * The visitor's other conversations: the same visitor (their widget's token), or the same
     * email given from another browser. Newest first, at most `limit`.
     */
    async othersOfVisitor(c: Pick<ConversationRow, 'id' | 'visitor_id' | 'visitor_email'>, limit: number): Promise<ConversationRow[]> {
      const sameVisitor = { visitor_id: c.visitor_id };
      const where: WhereOptions<ConversationRow> = {
        id: { [Op.ne]: c.id },
        [Op.or]: c.visitor_email ? [sameVisitor, { visitor_email: c.visitor_email }] : [sameVisitor],
      };
      const rows = await Conversation.findAll({ where, order: [['id', 'DESC']], limit });
      return rows.map((row) => row.get({ plain: true }));
    },

    /** Conversations found by words (see search-terms.ts), newest first. */
    search: (prefixes: readonly string[], limit: number) => terms.search(prefixes, limit),
  };
}

export type ConversationsRepository = ReturnType<typeof conversationsRepository>;
