import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * Order per conversation (SPEC §5): a delivery row names the conversation whose order it keeps
 * (NULL outside that order: test deliveries, operational events, redeliveries). For one webhook, a
 * conversation's lowest pending row is its head; the rows behind it wait. The index answers "the
 * head of (webhook, conversation)" as a seek to the first pending entry, for the claim's gate and
 * for the release of the next row when a head finishes.
 */
export const orderDeliveriesByConversation: Migration = {
  name: '0013-order-deliveries-by-conversation',
  async up({ context: { queryInterface: qi } }) {
    await qi.addColumn('webhook_deliveries', 'conversation_id', { type: DataTypes.BIGINT, allowNull: true });
    await qi.addIndex('webhook_deliveries', ['webhook_id', 'conversation_id', 'status', 'id'], { name: 'webhook_deliveries_order' });
  },
  async down({ context: { queryInterface: qi, sequelize } }) {
    await qi.removeIndex('webhook_deliveries', 'webhook_deliveries_order');
    // Not queryInterface.removeColumn: on SQLite it rebuilds the table, cascading into the attempts.
    await sequelize.query('ALTER TABLE webhook_deliveries DROP COLUMN conversation_id');
  },
};
