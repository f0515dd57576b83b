import type { Migration } from '../src/db/migrate.js';

/**
 * A webhook's delivery log, newest first, without a status filter: (webhook_id, status, id) cannot
 * give that order, so MySQL read much of a busy webhook's rows to sort them.
 */
export const indexDeliveriesByWebhook: Migration = {
  name: '0005-index-deliveries-by-webhook',
  async up({ context: { queryInterface: qi } }) {
    await qi.addIndex('webhook_deliveries', ['webhook_id', 'id'], { name: 'webhook_deliveries_webhook_id' });
  },
  async down({ context: { queryInterface: qi } }) {
    await qi.removeIndex('webhook_deliveries', 'webhook_deliveries_webhook_id');
  },
};
