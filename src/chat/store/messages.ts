import { Op, type Sequelize, type Transaction } from 'sequelize';
import { chatModels, type MessageRow } from './models.js';
import { conversationTermsRepository } from './conversation-terms.js';
import { termsOf } from './search-terms.js';

/** The `messages` table. Ids are the public `message_id` and order a conversation. */
export function messagesRepository(sequelize: Sequelize) {
  const { Message } = chatModels(sequelize);
  const terms = conversationTermsRepository(sequelize);

  return {
    /**
     * A visitor's message with a `clientMessageId` that visitor already used fails with Sequelize's
     * UniqueConstraintError: the caller answers with the original (see findByClientId).
     */
    async insert(
      fields: {
        conversationId: number;
        content: string;
        isFromAdmin: boolean;
        adminName: string | null;
        now: Date;
        visitorId?: number;
        clientMessageId?: string;
      },
      t: Transaction,
    ): Promise<MessageRow> {
      const row = await Message.create(
        {
          conversation_id: fields.conversationId,
          content: fields.content,
          is_from_admin: fields.isFromAdmin,
          admin_name: fields.adminName,
          visitor_id: fields.visitorId ?? null,
          client_message_id: fields.clientMessageId ?? null,
          created_at: fields.now,
          updated_at: fields.now,
        },
        { transaction: t },
      );
      await terms.add(fields.conversationId, termsOf(fields.content), t);
      return normalize(row.get({ plain: true }));
    },

    /** The visitor's message sent under `clientMessageId`, if any; write-locked inside a transaction. */
    async findByClientId(visitorId: number, clientMessageId: string, t?: Transaction): Promise<MessageRow | null> {
      const row = await Message.findOne({
        where: { visitor_id: visitorId, client_message_id: clientMessageId },
        ...(t ? { transaction: t, lock: t.LOCK.UPDATE } : {}),
      });
      return row ? normalize(row.get({ plain: true })) : null;
    },

    /** The latest `limit` messages (older than `beforeId` when given), oldest first. */
    async history(conversationId: number, options: { beforeId?: number; limit: number }): Promise<{ messages: MessageRow[]; hasMore: boolean }> {
      const where = options.beforeId ? { conversation_id: conversationId, id: { [Op.lt]: options.beforeId } } : { conversation_id: conversationId };
      const rows = await Message.findAll({ where, order: [['id', 'DESC']], limit: options.limit + 1 });
      const page = rows.slice(0, options.limit).map((row) => normalize(row.get({ plain: true })));
      return { messages: page.reverse(), hasMore: rows.length > options.limit };
    },

    /** The newest message of each conversation given. */
    async latestOf(conversationIds: number[]): Promise<Map<number, MessageRow>> {
      const latest = new Map<number, MessageRow>();
      if (conversationIds.length === 0) return latest;
      const newest = (await Message.findAll({
        attributes: [[sequelize.fn('MAX', sequelize.col('id')), 'id']],
        where: { conversation_id: conversationIds },
        group: ['conversation_id'],
        raw: true,
      })) as unknown as { id: number }[];
      const rows = await Message.findAll({ where: { id: newest.map((r) => r.id) } });
      for (const row of rows) {
        const message = normalize(row.get({ plain: true }));
        latest.set(message.conversation_id, message);
      }
      return latest;
    },
  };
}

// SQLite hands booleans back as 0/1; MySQL hands the VARBINARY client id back as a Buffer.
function normalize(row: MessageRow): MessageRow {
  const clientId: unknown = row.client_message_id;
  return {
    ...row,
    is_from_admin: Boolean(row.is_from_admin),
    client_message_id: Buffer.isBuffer(clientId) ? clientId.toString('utf8') : (row.client_message_id ?? null),
  };
}

export type MessagesRepository = ReturnType<typeof messagesRepository>;
