import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

/**
 * `retry_base`: the attempt_number at which the current retry budget began. Redeliver and recover
 * give a delivery a fresh budget while attempt_number keeps counting for the log.
 */
export const addDeliveryRetryBase: Migration = {
  name: '0004-add-delivery-retry-base',
  async up({ context: { queryInterface: qi } }) {
    await qi.addColumn('webhook_deliveries', 'retry_base', { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.removeColumn('webhook_deliveries', 'retry_base');
  },
};
