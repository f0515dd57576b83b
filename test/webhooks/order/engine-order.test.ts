import { randomUUID } from 'node:crypto';
import { claimDeliveries } from '../../../src/webhooks/db/claim.js';
import type { NewDelivery } from '../../../src/webhooks/db/delivery-rows.js';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { engineCases, retryNow, startHarness, type Harness } from '../../support/engine-rig.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';

/**
 * SPEC §5 "Order" at the engine, with the clock in hand: a dead sender's lease, a delivery that
 * fails for good, a redelivery and a disabled webhook, each in one conversation beside another.
 */

/** `count` rows of one conversation, bodies `{ n }` in order, due now. */
async function insertConversation(h: Harness<WebhookEngine>, webhookId: number, conversationId: number, count: number, from = 0): Promise<NewDelivery[]> {
  const now = h.clock.now();
  const rows: NewDelivery[] = Array.from({ length: count }, (_, i) => ({
    deliveryId: randomUUID(),
    webhookId,
    event: 'message.received',
    body: JSON.stringify({ conversation: conversationId, n: from + i }),
    isTest: false,
    conversationId,
    createdAt: now,
    nextAttemptAt: now,
  }));
  await insertDeliveries(h.sequelize, rows);
  return rows;
}

/** What the receiver got, as `conversation:n`, in arrival order. */
const arrivals = (receiver: Receiver) => receiver.requests.map((r) => r.json<{ conversation: number; n: number }>()).map((b) => `${b.conversation}:${b.n}`);

async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(engineCases)('order per conversation in the engine on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;

  beforeAll(async () => {
    h = await startHarness(dialect, {}, {}, mode);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    receiver.clear();
    receiver.respond(() => ({}));
    await h.sequelize.query('DELETE FROM webhooks');
  });

  it('a dead sender\'s lease holds its conversation until it runs out; then the head goes first and the rest follow in order', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    const [head] = await insertConversation(h, webhookId, 7, 3);
    await insertConversation(h, webhookId, 8, 1);
    const now = h.clock.now();
    // A sender claims the head and dies: lease set, no completion.
    const dead = await claimDeliveries(h.sequelize, { owner: 'dead-sender', now, leaseUntil: new Date(now.getTime() + 60_000), limit: 10, deliveryIds: [head!.deliveryId] });
    expect(dead.claimed).toHaveLength(1);

    await h.engine.sweepOnce();
    await h.engine.idle();
    // The other conversation flows on; none of conversation 7 overtakes its leased head.
    expect(arrivals(receiver)).toEqual(['8:0']);
    h.clock.advance(59_000);
    await h.engine.sweepOnce();
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['8:0']);

    h.clock.advance(1_000);
    await h.engine.sweepOnce();
    await until(() => receiver.requests.length === 4);
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['8:0', '7:0', '7:1', '7:2']);
    expect((await h.deliveries(webhookId)).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('waits while the head retries; a head that fails for good lets the next one go', async () => {
    receiver.respond((request) => ({ status: request.json<{ n: number }>().n === 0 ? 500 : 200 }));
    const webhookId = await h.createWebhook({ url: receiver.url });
    await insertConversation(h, webhookId, 7, 2);
    await h.engine.sweepOnce();
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0']);
    // Three retries (0.2, 0.4, 0.6 s in this rig): the second row waits through all of them.
    for (let i = 0; i < 3; i++) {
      await retryNow(h, 1000);
      await h.engine.idle();
    }
    await until(() => receiver.requests.length === 5);
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0', '7:0', '7:0', '7:0', '7:1']);
    expect((await h.deliveries(webhookId)).map((d) => d.status)).toEqual(['failed', 'delivered']);
  });

  it('the next row goes as soon as its head ends, however long the head took, with no sweep to wait for', async () => {
    // The head answers slowly; meanwhile the engine's clock moves on past every short wait a claim
    // may have given the row behind it. No sweeper runs in this rig: only the head's end can start it.
    receiver.respond((request) => ({ delayMs: request.json<{ n: number }>().n === 0 ? 500 : 0 }));
    const webhookId = await h.createWebhook({ url: receiver.url });
    await insertConversation(h, webhookId, 7, 2);
    await h.engine.sweepOnce();
    h.clock.advance(5_000);
    await until(() => receiver.requests.length === 2, 5_000);
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0', '7:1']);
    expect((await h.deliveries(webhookId)).map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  // Row locks held by another process: MySQL's (SQLite runs one writer at a time).
  (dialect === 'mysql' ? it : it.skip)('a head a sweep could not take is looked at again when the rows moved behind it come due, without a cron or a release to wake the engine', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    const [head] = await insertConversation(h, webhookId, 7, 2);
    // Another process's claim holds the head locked while this engine sweeps: SKIP LOCKED passes
    // it by, and the row behind it is moved a moment past it. No sweeper runs in this rig, and no
    // head ends, so nothing else would start a sweep.
    const held = await h.sequelize.transaction();
    await h.sequelize.query("SELECT id FROM webhook_deliveries WHERE delivery_id = :id FOR UPDATE", { transaction: held, replacements: { id: head!.deliveryId } });
    await h.engine.sweepOnce();
    await held.commit();
    expect(receiver.requests).toHaveLength(0);
    await until(() => receiver.requests.length === 2, 10_000);
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0', '7:1']);
  });

  it('a redelivery is outside the order: it goes now, whatever is pending before it', async () => {
    receiver.respond((request) => ({ status: request.json<{ n: number }>().n === 0 ? 500 : 200 }));
    const webhookId = await h.createWebhook({ url: receiver.url });
    const [, second] = await insertConversation(h, webhookId, 7, 2);
    await h.engine.sweepOnce();
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0']);
    expect(await h.engine.redeliver(webhookId, second!.deliveryId)).toBe(true);
    await until(() => receiver.requests.length === 2);
    await h.engine.idle();
    expect(arrivals(receiver)).toEqual(['7:0', '7:1']);
    expect((await h.deliveries(webhookId)).map((d) => d.status)).toEqual(['pending', 'delivered']);
  });

  it('a disabled webhook holds its rows; enabled again, each conversation goes out in order', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    await h.setActive(webhookId, false);
    await insertConversation(h, webhookId, 7, 3);
    await insertConversation(h, webhookId, 8, 3);
    await h.engine.sweepOnce();
    await h.engine.idle();
    expect(receiver.requests).toHaveLength(0);
    await h.setActive(webhookId, true);
    await h.engine.sweepOnce();
    await until(() => receiver.requests.length === 6);
    await h.engine.idle();
    const got = arrivals(receiver);
    expect(got.filter((a) => a.startsWith('7:'))).toEqual(['7:0', '7:1', '7:2']);
    expect(got.filter((a) => a.startsWith('8:'))).toEqual(['8:0', '8:1', '8:2']);
  });
});

describe.each(engineCases)('a sweep reaches the heads behind rows that wait for them, on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;

  beforeAll(async () => {
    // A batch smaller than the rows that stand in front of the heads.
    h = await startHarness(dialect, { WEBHOOK_SWEEP_BATCH: '5' }, {}, mode);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('moves the waiting rows out of the way and sends every head in the same sweep', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    const now = h.clock.now();
    const row = (conversationId: number, n: number, dueAt: Date): NewDelivery => ({
      deliveryId: randomUUID(),
      webhookId,
      event: 'message.received',
      body: JSON.stringify({ conversation: conversationId, n }),
      isTest: false,
      conversationId,
      createdAt: now,
      nextAttemptAt: dueAt,
    });
    const conversations = [1, 2, 3, 4, 5, 6];
    // The heads (lower ids) are due now; the 18 rows behind them were due earlier (as when a head
    // was given back to the table after they were written), so they come first in due order.
    await insertDeliveries(h.sequelize, conversations.map((c) => row(c, 0, now)));
    await insertDeliveries(h.sequelize, conversations.flatMap((c) => [1, 2, 3].map((n) => row(c, n, new Date(now.getTime() - 10_000)))));

    await h.engine.sweepOnce();
    await until(() => receiver.requests.length === 24);
    await h.engine.idle();
    const got = arrivals(receiver);
    for (const c of conversations) expect(got.filter((a) => a.startsWith(`${c}:`))).toEqual([0, 1, 2, 3].map((n) => `${c}:${n}`));
  });
});
