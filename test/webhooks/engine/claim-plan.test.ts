import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { dialects } from '../../support/databases.js';
import { claimDeliveries } from '../../../src/webhooks/db/claim.js';
import type { NewDelivery } from '../../../src/webhooks/db/delivery-rows.js';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import { startHarness, type Harness } from '../../support/engine-rig.js';

/**
 * The sweeper's claim must stay a range scan on (status, next_attempt_at) whatever the table's
 * size: the plan of the exact statement claimDeliveries sends, on a table where few rows are due.
 */
describe.each(dialects)('claim query plan on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is a range scan on webhook_deliveries_due, in index order, without a sort', async () => {
    const active = await h.createWebhook({ url: 'http://127.0.0.1:9/hook' });
    const disabled = await h.createWebhook({ url: 'http://127.0.0.1:9/hook', isActive: false });
    const now = h.clock.now();
    const rows: NewDelivery[] = [];
    for (let i = 0; i < 3000; i++) {
      const due = i % 30 === 0;
      rows.push({
        deliveryId: randomUUID(),
        webhookId: i % 7 === 0 ? disabled : active,
        event: 'message.received',
        body: '{}',
        isTest: false,
        createdAt: now,
        nextAttemptAt: new Date(now.getTime() + (due ? -1000 * (i % 50) : 3_600_000)),
      });
    }
    for (let i = 0; i < rows.length; i += 250) await insertDeliveries(h.sequelize, rows.slice(i, i + 250));
    await h.sequelize.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE id % 3 = 0`);
    if (dialect === 'mysql') await h.sequelize.query('ANALYZE TABLE webhook_deliveries');
    else await h.sequelize.query('ANALYZE');

    let claimSql = '';
    const options = (h.sequelize as unknown as { options: { logging: unknown } }).options;
    options.logging = (sql: string) => {
      if (sql.includes('ORDER BY d.next_attempt_at')) claimSql = sql.replace(/^Executing \([^)]*\): /, '').replace(/ FOR UPDATE SKIP LOCKED;?$/, '').replace(/;$/, '');
    };
    const { claimed } = await claimDeliveries(h.sequelize, { owner: 'plan', now, leaseUntil: new Date(now.getTime() + 60_000), limit: 20, skipWebhookIds: [99] });
    options.logging = false;
    expect(claimed.length).toBe(20);
    expect(claimed.every((c) => c.webhookId === active)).toBe(true);

    if (dialect === 'mysql') {
      const plan = await h.sequelize.query<Record<string, unknown>>(`EXPLAIN ${claimSql}`, { type: QueryTypes.SELECT });
      const outer = plan.find((p) => p.table === 'd')!;
      expect(outer).toMatchObject({ type: 'range', key: 'webhook_deliveries_due' });
      expect(String(outer.Extra)).not.toMatch(/filesort|temporary/);
      expect(plan.find((p) => p.table === 'w')).toMatchObject({ type: 'eq_ref', key: 'PRIMARY' });
    } else {
      const plan = await h.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${claimSql}`, { type: QueryTypes.SELECT });
      const details = plan.map((p) => p.detail);
      expect(details).toContain('SEARCH d USING INDEX webhook_deliveries_due (status=? AND next_attempt_at<?)');
      expect(details.join('\n')).not.toMatch(/TEMP B-TREE/);
    }
  });
});
