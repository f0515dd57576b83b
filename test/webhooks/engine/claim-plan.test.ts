import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { dialects } from '../../support/databases.js';
import { claimDeliveries } from '../../../src/webhooks/db/claim.js';
import type { NewDelivery } from '../../../src/webhooks/db/delivery-rows.js';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import { blockedUntil } from '../../../src/webhooks/db/order.js';
import { startHarness, type Harness } from '../../support/engine-rig.js';

/**
 * The sweeper's claim must stay a range scan on (status, next_attempt_at) whatever the table's
 * size: the plan of the exact statement claimDeliveries sends, on a table where few rows are due.
 * Its order gate (SPEC §5) must cost a seek per candidate, however long the webhook's history.
 */
/** Runs `work`, and answers it with the text of the last statement it sent that contains `marker`. */
async function withStatement<T>(h: Harness, marker: string, work: () => Promise<T>): Promise<{ result: T; sql: string }> {
  let sql = '';
  const options = (h.sequelize as unknown as { options: { logging: unknown } }).options;
  options.logging = (text: string) => {
    if (text.includes(marker)) sql = text.replace(/^Executing \([^)]*\): /, '').replace(/;$/, '');
  };
  try {
    return { result: await work(), sql };
  } finally {
    options.logging = false;
  }
}

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

    const { result: { claimed }, sql } = await withStatement(h, 'ORDER BY d.next_attempt_at', () =>
      claimDeliveries(h.sequelize, { owner: 'plan', now, leaseUntil: new Date(now.getTime() + 60_000), limit: 20, skipWebhookIds: [99] }));
    const claimSql = sql.replace(/ FOR UPDATE SKIP LOCKED$/, '');
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

  it("asks each candidate's conversation for an earlier pending row with one seek, not a read of the webhook's history", async () => {
    const webhook = await h.createWebhook({ url: 'http://127.0.0.1:9/hook' });
    const now = h.clock.now();
    const row = (conversationId: number): NewDelivery => ({
      deliveryId: randomUUID(), webhookId: webhook, event: 'message.received', body: '{}', isTest: false,
      conversationId, createdAt: now, nextAttemptAt: now,
    });
    // The planner's statistics as a fresh install has them while its first busy hour fills the
    // table: read off a nearly empty table and not yet read again (MariaDB recounts in the background).
    if (dialect === 'mysql') {
      await insertDeliveries(h.sequelize, [row(1)]);
      await h.sequelize.query('ANALYZE TABLE webhook_deliveries');
      await h.sequelize.query('ALTER TABLE webhook_deliveries STATS_AUTO_RECALC = 0');
    }
    // A webhook's history as a busy chat leaves it: 4,000 delivered rows over 500 conversations.
    const history = Array.from({ length: 4000 }, (_, i) => row(1000 + (i % 500)));
    for (let i = 0; i < history.length; i += 250) await insertDeliveries(h.sequelize, history.slice(i, i + 250));
    await h.sequelize.query(`UPDATE webhook_deliveries SET status = 'delivered' WHERE webhook_id = ${webhook}`);
    // Then 30 pending rows in 20 conversations: conversations 0-9 have two, the second behind the first.
    const pending = Array.from({ length: 30 }, (_, i) => row(1000 + (i % 20)));
    await insertDeliveries(h.sequelize, pending);
    if (dialect === 'sqlite') await h.sequelize.query('ANALYZE');
    const ids = (await h.sequelize.query<{ id: unknown }>(
      `SELECT id FROM webhook_deliveries WHERE webhook_id = ${webhook} AND status = 'pending' AND conversation_id >= 1000 ORDER BY id`,
      { type: QueryTypes.SELECT },
    )).map((r) => Number(r.id));
    expect(ids).toHaveLength(30);

    const { result: { blocked, rowsRead }, sql } = await withStatement(h, 'AS head_id', () => h.sequelize.transaction(async (transaction) => {
      const reads = async () => {
        if (dialect !== 'mysql') return 0;
        const status = await h.sequelize.query<{ Variable_name: string; Value: string }>(
          "SHOW SESSION STATUS LIKE 'Handler_read%'", { type: QueryTypes.SELECT, transaction },
        );
        return status.reduce((sum, s) => sum + Number(s.Value), 0);
      };
      const before = await reads();
      const blocked = await blockedUntil(h.sequelize, ids, transaction);
      return { blocked, rowsRead: (await reads()) - before };
    }));
    // The rows behind a pending row of their conversation, and no other.
    expect([...blocked.keys()].sort((a, b) => a - b)).toEqual(ids.slice(20));

    if (dialect === 'mysql') {
      // A seek and a step or two per candidate (90 seen). Left to the planner it read the webhook's
      // history per candidate: 120,355 rows.
      expect(rowsRead).toBeLessThan(30 * 10);
      const plan = await h.sequelize.query<Record<string, unknown>>(`EXPLAIN ${sql}`, { type: QueryTypes.SELECT });
      expect(plan.find((p) => p.table === 'e')).toMatchObject({ key: 'webhook_deliveries_order' });
    } else {
      const plan = await h.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, { type: QueryTypes.SELECT });
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH e USING (COVERING )?INDEX webhook_deliveries_order \(webhook_id=\? AND conversation_id=\? AND status=\? AND id<\?\)/);
    }
  });
});
