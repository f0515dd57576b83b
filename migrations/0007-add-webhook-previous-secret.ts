import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * Secret rotation without downtime (SPEC §8): the secret a regenerate replaced, sealed like the
 * current one, keeps signing `webhook-signature` beside it until `previous_secret_expires_at`.
 */
export const addWebhookPreviousSecret: Migration = {
  name: '0007-add-webhook-previous-secret',
  async up({ context: { queryInterface: qi } }) {
    await qi.addColumn('webhooks', 'previous_secret_encrypted', { type: DataTypes.TEXT, allowNull: true });
    await qi.addColumn('webhooks', 'previous_secret_expires_at', { type: DataTypes.DATE(3), allowNull: true });
  },
  async down({ context: { sequelize } }) {
    // Not queryInterface.removeColumn: on SQLite it rebuilds the table, and dropping the old
    // `webhooks` would cascade into every delivery row. Both dialects drop a column in place.
    await sequelize.query('ALTER TABLE webhooks DROP COLUMN previous_secret_expires_at');
    await sequelize.query('ALTER TABLE webhooks DROP COLUMN previous_secret_encrypted');
  },
};
