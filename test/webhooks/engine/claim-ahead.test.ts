import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type { NewDelivery } from '../../../src/webhooks/db/delivery-rows.js';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startHarness, type Harness } from '../../support/engine-rig.js';

async function backlog(h: Harness, webhookId: number, count: number): Promise<void> {
  const now = h.clock.now();
  const rows: NewDelivery[] = Array.from({ length: count }, (_, i) => ({
    deliveryId: randomUUID(), webhookId, event: 'message.received', body: JSON.stringify({ n: i }), isTest: false, createdAt: now, nextAttemptAt: now,
  }));
  await insertDeliveries(h.sequelize, rows);
}

/**
 * A backlog for one webhook (an endpoint that was down): rows are claimed a few slots ahead, so a
 * freed slot starts the next POST without a claim transaction each, and rows claimed ahead but
 * not sent go back to the table when the engine stops.
 */
describe.each(dialects)('claiming ahead for a backlog on %s', (dialect) => {
  let h: Harness;
  let receiver: Receiver;
  const claims: string[] = [];

  beforeAll(async () => {
    h = await startHarness(dialect, { WEBHOOK_CONCURRENCY_PER_WEBHOOK: '2', WEBHOOK_TIMEOUT_MS: '5000' });
    (h.sequelize as unknown as { options: { logging: unknown } }).options.logging = (sql: string) => {
      if (/SELECT d\.id, d\.webhook_id/.test(sql)) claims.push(sql);
    };
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('drains 60 rows with 2 slots in far fewer claims than POSTs, each row sent once', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    await backlog(h, webhookId, 60);
    claims.length = 0;
    await h.engine.sweepOnce();
    const requests = await receiver.waitFor(60, 15_000);
    await h.engine.idle();
    const sent = requests.map((r) => r.json<{ n: number }>().n).sort((a, b) => a - b);
    expect(sent).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect((await h.deliveries(webhookId)).every((d) => d.status === 'delivered' && d.attempt_number === 1)).toBe(true);
    // One claim per freed slot would be ~30; holding up to 16 × 2 rows ahead needs only a few.
    expect(claims.length).toBeLessThanOrEqual(15);
  });

  it('hands rows claimed ahead back to the table when the engine stops: due, unleased, unsent', async () => {
    const slow = await startReceiver(() => ({ delayMs: 300 }));
    const other = await h.startEngine({ WEBHOOK_CONCURRENCY_PER_WEBHOOK: '2', WEBHOOK_TIMEOUT_MS: '5000' });
    try {
      const webhookId = await h.createWebhook({ url: slow.url });
      await backlog(h, webhookId, 20);
      await other.engine.sweepOnce();
      await slow.waitFor(2);
      await other.close();
      const rows = await h.deliveries(webhookId);
      const delivered = rows.filter((r) => r.status === 'delivered');
      const pending = rows.filter((r) => r.status === 'pending');
      expect(delivered.length).toBe(slow.requests.length);
      expect(delivered.length + pending.length).toBe(20);
      // Without the hand-back these would stay leased until the lease ran out (over a minute).
      expect(pending.filter((r) => r.lease_owner !== null)).toEqual([]);
      expect(pending.every((r) => r.next_attempt_at.getTime() <= Date.now() + 1000)).toBe(true);
    } finally {
      await slow.close();
    }
  });
});

/**
 * On MariaDB the outbox inserts each event's rows already leased (their ids are consecutive), so a
 * first attempt costs no claim transaction; rows the engine cannot send or hold go back unleased.
 */
describe('first attempts without a claim on MariaDB', () => {
  let h: Harness;
  let receiver: Receiver;
  const claims: string[] = [];

  beforeAll(async () => {
    h = await startHarness('mysql', { WEBHOOK_CONCURRENCY_PER_WEBHOOK: '1', WEBHOOK_TIMEOUT_MS: '5000' });
    (h.sequelize as unknown as { options: { logging: unknown } }).options.logging = (sql: string) => {
      if (/FOR UPDATE SKIP LOCKED/.test(sql)) claims.push(sql);
    };
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('sends a committed event’s deliveries with no claim transaction', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    claims.length = 0;
    await h.sequelize.transaction((transaction) => h.emitMessage('no claim needed', transaction));
    const [request] = await receiver.waitFor(1);
    await h.engine.idle();
    expect(request!.json()).toMatchObject({ data: { content: 'no claim needed' } });
    expect(claims).toEqual([]);
    expect((await h.deliveries(webhookId)).map((d) => [d.status, d.attempt_number, d.lease_owner])).toEqual([['delivered', 1, null]]);
    await h.setActive(webhookId, false);
  });

  it('inserts a fan-out of 6,000 rows (78,000 values, over MySQL’s 65,535) in chunks, and knows every row’s id', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url, isActive: false });
    const now = new Date();
    const lease = { owner: 'chunk-test.1', until: new Date(now.getTime() + 60_000) };
    const rows: NewDelivery[] = Array.from({ length: 6000 }, (_, i) => ({
      deliveryId: randomUUID(), webhookId, event: 'message.received', body: JSON.stringify({ n: i }), isTest: false, createdAt: now, nextAttemptAt: now, lease,
    }));
    const ids = await h.sequelize.transaction((transaction) => insertDeliveries(h.sequelize, rows, transaction));
    expect(ids).toHaveLength(6000);
    const stored = await h.sequelize.query<{ id: unknown; delivery_id: string }>('SELECT id, delivery_id FROM webhook_deliveries WHERE webhook_id = :webhookId', {
      type: QueryTypes.SELECT,
      replacements: { webhookId },
    });
    const byDelivery = new Map(stored.map((r) => [r.delivery_id, Number(r.id)]));
    expect(rows.every((r, i) => byDelivery.get(r.deliveryId) === ids![i])).toBe(true);
  });

  it('holds what fits behind a busy webhook, hands the rest back, and still sends each row once', async () => {
    const slow = await startReceiver(() => ({ delayMs: 60 }));
    try {
      const webhookId = await h.createWebhook({ url: slow.url });
      // One slot and sixteen held: of 25 events at once, some go back to the table, unleased.
      await Promise.all(Array.from({ length: 25 }, (_, i) => h.sequelize.transaction((transaction) => h.emitMessage(`burst ${i}`, transaction))));
      // Every row was inserted leased: an unleased pending row is one the engine handed back.
      let handedBack = 0;
      for (let i = 0; i < 50 && handedBack === 0; i++) {
        handedBack = (await h.deliveries(webhookId)).filter((d) => d.status === 'pending' && d.lease_owner === null).length;
        if (handedBack === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(handedBack).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 80 && slow.requests.length < 25; i++) {
        await h.engine.sweepOnce();
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.engine.idle();
      expect(slow.requests.map((r) => r.json<{ data: { content: string } }>().data.content).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `burst ${i}`).sort());
      expect((await h.deliveries(webhookId)).map((d) => d.status)).toEqual(Array(25).fill('delivered'));
    } finally {
      await slow.close();
    }
  });
});
