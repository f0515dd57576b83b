import { DataTypes, QueryTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';
import { emailTerms, termsOf } from '../src/chat/store/search-terms.js';

/**
 * Conversation search (README, "Search"): one row per (term, conversation), looked up by prefix
 * with a range on the primary key. The same table and query on MariaDB and SQLite, instead of
 * FULLTEXT on one and FTS5 on the other: two engines with different tokenizers, minimum word
 * lengths and stop words would find different things for the same search. The term column is
 * binary-collated so the prefix range means the same bytes on both.
 *
 * Existing conversations and messages are indexed here, in batches.
 */
const BATCH = 2000;

export const createConversationTerms: Migration = {
  name: '0011-create-conversation-terms',
  async up({ context: { queryInterface: qi, sequelize } }) {
    await qi.createTable('conversation_terms', {
      term: { type: DataTypes.STRING(64).BINARY, allowNull: false, primaryKey: true },
      conversation_id: {
        type: DataTypes.INTEGER,
        allowNull: false,
        primaryKey: true,
        references: { model: 'conversations', key: 'id' },
        onDelete: 'CASCADE',
      },
    });
    // The conversation's terms, for deleting or re-indexing one conversation.
    await qi.addIndex('conversation_terms', ['conversation_id'], { name: 'conversation_terms_conversation' });
    // A visitor's earlier conversations: by visitor, or by the email they gave on another device.
    await qi.addIndex('conversations', ['visitor_email'], { name: 'conversations_visitor_email' });

    const insert = (rows: { term: string; conversation_id: number }[]) =>
      rows.length ? qi.bulkInsert('conversation_terms', rows, { ignoreDuplicates: true } as object) : undefined;
    for (let after = 0; ; ) {
      const batch = await sequelize.query<{ id: number; visitor_name: string | null; visitor_email: string | null }>(
        'SELECT id, visitor_name, visitor_email FROM conversations WHERE id > ? ORDER BY id LIMIT ?',
        { replacements: [after, BATCH], type: QueryTypes.SELECT },
      );
      if (batch.length === 0) break;
      await insert(batch.flatMap((c) => [...termsOf(c.visitor_name), ...emailTerms(c.visitor_email)].map((term) => ({ term, conversation_id: c.id }))));
      after = batch[batch.length - 1]!.id;
    }
    for (let after = 0; ; ) {
      const batch = await sequelize.query<{ id: number; conversation_id: number; content: string }>(
        'SELECT id, conversation_id, content FROM messages WHERE id > ? ORDER BY id LIMIT ?',
        { replacements: [after, BATCH], type: QueryTypes.SELECT },
      );
      if (batch.length === 0) break;
      await insert(batch.flatMap((m) => termsOf(m.content).map((term) => ({ term, conversation_id: m.conversation_id }))));
      after = batch[batch.length - 1]!.id;
    }
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.removeIndex('conversations', 'conversations_visitor_email');
    await qi.dropTable('conversation_terms');
  },
};
