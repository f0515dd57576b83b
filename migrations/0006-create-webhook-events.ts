import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * The event outbox: one row per chat event, written in the chat's transaction when deliveries are
 * sent from a worker thread. The worker fans each event out into delivery rows (one per subscribed
 * webhook) and deletes it in the same transaction, so the table holds only events not yet fanned out.
 */
export const createWebhookEvents: Migration = {
  name: '0006-create-webhook-events',
  async up({ context: { queryInterface: qi, sequelize } }) {
    const longText = sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('medium');
    await qi.createTable('webhook_events', {
      id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
      event: { type: DataTypes.STRING(64), allowNull: false },
      // The event's data as JSON, exactly as the hook announced it.
      data: { type: longText, allowNull: false },
      occurred_at: { type: DataTypes.DATE(3), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.dropTable('webhook_events');
  },
};
