import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { prefixRange } from './search-terms.js';

/**
 * The `conversation_terms` table (migrations/0011): which words each conversation can be found by.
 * Written in the transaction that stores the text, so a conversation is searchable the moment its
 * message is acknowledged; read with one prefix range per word on the primary key.
 */
export function conversationTermsRepository(sequelize: Sequelize) {
  const qi = sequelize.getQueryInterface();

  return {
    /** Adds terms to a conversation; a term it already has is skipped. */
    async add(conversationId: number, terms: readonly string[], t: Transaction): Promise<void> {
      if (terms.length === 0) return;
      await qi.bulkInsert('conversation_terms', terms.map((term) => ({ term, conversation_id: conversationId })), { transaction: t, ignoreDuplicates: true } as object);
    },

    /**
     * Ids of the conversations that have, for every prefix given, a term starting with it: newest
     * conversation first, at most `limit`.
     */
    async search(prefixes: readonly string[], limit: number): Promise<number[]> {
      if (prefixes.length === 0) return [];
      const ranges = prefixes.map(prefixRange);
      const inRange = ranges.map(() => '(term >= ? AND term < ?)');
      // Which of the words each row answers, so HAVING can ask that every word was answered.
      const which = ranges.map((_, i) => `WHEN ${inRange[i]} THEN ${i}`).join(' ');
      const rows = await sequelize.query<{ conversation_id: number }>(
        `SELECT conversation_id FROM conversation_terms WHERE ${inRange.join(' OR ')}
         GROUP BY conversation_id HAVING COUNT(DISTINCT CASE ${which} END) = ?
         ORDER BY conversation_id DESC LIMIT ?`,
        { replacements: [...ranges.flat(), ...ranges.flat(), ranges.length, limit], type: QueryTypes.SELECT },
      );
      return rows.map((r) => Number(r.conversation_id));
    },
  };
}

export type ConversationTermsRepository = ReturnType<typeof conversationTermsRepository>;
