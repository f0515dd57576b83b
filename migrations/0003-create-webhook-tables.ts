import { DataTypes } from 'sequelize';
import type { Migration } from '../src/db/migrate.js';

const timestamps = {
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
};

export const createWebhookTables: Migration = {
  name: '0003-create-webhook-tables',
  async up({ context: { queryInterface: qi, sequelize } }) {
    // MEDIUMTEXT (16 MiB) on MySQL; SQLite's TEXT has no size.
    const longText = sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('medium');
    await qi.createTable('webhooks', {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(255), allowNull: false },
      url: { type: DataTypes.STRING(2048), allowNull: false },
      // JSON array of event names.
      events: { type: DataTypes.TEXT, allowNull: false },
      // AES-256-GCM ciphertext under APP_KEY (see src/crypto/secret-box.ts); null = unsigned.
      secret_encrypted: { type: DataTypes.TEXT, allowNull: true },
      is_active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      format: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'json' },
      // Set when the server disabled the webhook itself (410, unknown webhook, health rule).
      disabled_reason: { type: DataTypes.STRING(1024), allowNull: true },
      disabled_at: { type: DataTypes.DATE(3), allowNull: true },
      // Health: consecutive failed deliveries and when the current failing streak began.
      consecutive_failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      failing_since: { type: DataTypes.DATE(3), allowNull: true },
      ...timestamps,
    });
    await qi.createTable('webhook_deliveries', {
      id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
      delivery_id: { type: DataTypes.CHAR(36), allowNull: false, unique: true },
      webhook_id: {
        type: DataTypes.INTEGER,
        allowNull: false,
        references: { model: 'webhooks', key: 'id' },
        onDelete: 'CASCADE',
      },
      event: { type: DataTypes.STRING(64), allowNull: false },
      // The exact bytes POSTed on every attempt (UTF-8 JSON).
      body: { type: longText, allowNull: false },
      is_test: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      // pending | delivered | failed
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      // Attempts made so far.
      attempt_number: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      // When a pending row is next due. A claim moves it to the lease's expiry, so a row whose
      // sender died becomes due again by itself.
      next_attempt_at: { type: DataTypes.DATE(3), allowNull: false },
      lease_owner: { type: DataTypes.STRING(64), allowNull: true },
      lease_expires_at: { type: DataTypes.DATE(3), allowNull: true },
      last_status_code: { type: DataTypes.INTEGER, allowNull: true },
      last_error: { type: DataTypes.STRING(1024), allowNull: true },
      delivered_at: { type: DataTypes.DATE(3), allowNull: true },
      ...timestamps,
    });
    // The sweeper's claim: a range scan over due pending rows, whatever the table's size.
    await qi.addIndex('webhook_deliveries', ['status', 'next_attempt_at'], { name: 'webhook_deliveries_due' });
    // Delivery logs of one webhook, newest first, optionally by status.
    await qi.addIndex('webhook_deliveries', ['webhook_id', 'status', 'id'], { name: 'webhook_deliveries_webhook_status' });
    // Retention pruning by age.
    await qi.addIndex('webhook_deliveries', ['created_at'], { name: 'webhook_deliveries_created' });
    await qi.createTable('webhook_delivery_attempts', {
      id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
      delivery_row_id: {
        type: DataTypes.BIGINT,
        allowNull: false,
        references: { model: 'webhook_deliveries', key: 'id' },
        onDelete: 'CASCADE',
      },
      attempt_number: { type: DataTypes.INTEGER, allowNull: false },
      request_headers: { type: DataTypes.TEXT, allowNull: false },
      response_status: { type: DataTypes.INTEGER, allowNull: true },
      response_headers: { type: DataTypes.TEXT, allowNull: true },
      // At most 64 KiB of the response body.
      response_body: { type: longText, allowNull: true },
      duration_ms: { type: DataTypes.INTEGER, allowNull: false },
      error: { type: DataTypes.STRING(1024), allowNull: true },
      // Classified cause: ok, auth, not_found, bad_payload, rate_limited, server_error, timeout,
      // dns, tls, connection, blocked_address, redirect, gone, client_error.
      cause: { type: DataTypes.STRING(32), allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    });
    await qi.addIndex('webhook_delivery_attempts', ['delivery_row_id', 'attempt_number'], {
      name: 'webhook_delivery_attempts_delivery',
    });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.dropTable('webhook_delivery_attempts');
    await qi.dropTable('webhook_deliveries');
    await qi.dropTable('webhooks');
  },
};
