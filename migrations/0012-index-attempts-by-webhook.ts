import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * The chart of a webhook's last 24 hours reads its attempts by time. An attempt knew its webhook only
 * through its delivery row, so the chart had to join every delivery of the webhook. Each attempt now
 * carries `webhook_id` and `is_test`, and one covering index answers the chart as a range scan:
 * (webhook_id, created_at) to find the hours, is_test, duration_ms and cause to count them, no row read.
 * Attempts are never updated, so the index costs one entry per attempt written.
 */
export const indexAttemptsByWebhook: Migration = {
  name: '0012-index-attempts-by-webhook',
  async up({ context: { queryInterface: qi, sequelize } }) {
    await qi.addColumn('webhook_delivery_attempts', 'webhook_id', { type: DataTypes.INTEGER, allowNull: true });
    await qi.addColumn('webhook_delivery_attempts', 'is_test', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
    // Attempts written before this migration take their delivery's webhook and test flag.
    await sequelize.query(
      sequelize.getDialect() === 'sqlite'
        ? `UPDATE webhook_delivery_attempts SET
             webhook_id = (SELECT d.webhook_id FROM webhook_deliveries d WHERE d.id = webhook_delivery_attempts.delivery_row_id),
             is_test = COALESCE((SELECT d.is_test FROM webhook_deliveries d WHERE d.id = webhook_delivery_attempts.delivery_row_id), 0)`
        : `UPDATE webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_row_id
              SET a.webhook_id = d.webhook_id, a.is_test = d.is_test`,
    );
    await qi.addIndex('webhook_delivery_attempts', ['webhook_id', 'created_at', 'is_test', 'duration_ms', 'cause'], {
      name: 'webhook_delivery_attempts_chart',
    });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.removeIndex('webhook_delivery_attempts', 'webhook_delivery_attempts_chart');
    await qi.removeColumn('webhook_delivery_attempts', 'is_test');
    await qi.removeColumn('webhook_delivery_attempts', 'webhook_id');
  },
};
