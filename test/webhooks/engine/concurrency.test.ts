import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { claimDeliveries } from '../../../src/webhooks/db/claim.js';
import type { NewDelivery } from '../../../src/webhooks/db/delivery-rows.js';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import { completeAttempt, completeAttempts, type AttemptCompletion } from '../../../src/webhooks/db/record-attempts.js';
import { startHarness, type Harness } from '../../support/engine-rig.js';

async function insertDue(h: Harness, webhookId: number, count: number): Promise<void> {
  const now = h.clock.now();
  const rows: NewDelivery[] = Array.from({ length: count }, (_, i) => ({
    deliveryId: randomUUID(),
    webhookId,
    event: 'message.received',
    body: JSON.stringify({ n: i }),
    isTest: false,
    createdAt: now,
    nextAttemptAt: now,
  }));
  for (let i = 0; i < rows.length; i += 250) await insertDeliveries(h.sequelize, rows.slice(i, i + 250));
}

async function count(h: Harness, where: string): Promise<number> {
  const [row] = await h.sequelize.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE ${where}`, { type: QueryTypes.SELECT });
  return Number(row!.n);
}

describe.each(dialects)('several engines on one %s database', (dialect) => {
  let h: Harness;
  let receiver: Receiver;

  beforeAll(async () => {
    // A generous timeout: on a loaded machine a local receiver can take seconds to answer 64
    // requests at once, and a retry is not what this file is about.
    h = await startHarness(dialect, { WEBHOOK_CONCURRENCY_PER_WEBHOOK: '32', WEBHOOK_SWEEP_BATCH: '100', WEBHOOK_TIMEOUT_MS: '20000' }, { userAgent: 'engine-a/1' });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    receiver.clear();
    await h.sequelize.query('DELETE FROM webhooks');
  });

  it('attempts each of 1,000 due rows exactly once across two engines', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    await insertDue(h, webhookId, 1000);
    const other = await h.startEngine({}, { userAgent: 'engine-b/1' });
    const t0 = Date.now();
    await Promise.all([h.engine.sweepOnce(), other.engine.sweepOnce()]);
    // Each engine keeps itself busy: a freed slot starts the next sweep. No cron runs here, so
    // a row left behind would stall the count: fail on a stall longer than any attempt, not on slowness.
    let delivered = 0;
    let progressAt = Date.now();
    while (delivered < 1000 && Date.now() - progressAt < 25_000) {
      await new Promise((r) => setTimeout(r, 50));
      const now = await count(h, "status = 'delivered'");
      if (now > delivered) progressAt = Date.now();
      delivered = now;
    }
    await Promise.all([h.engine.idle(), other.engine.idle()]);
    const elapsed = Date.now() - t0;

    const left = await h.sequelize.query(
      `SELECT d.id, d.status, d.attempt_number, d.lease_owner, d.next_attempt_at, a.cause, a.error, a.duration_ms
         FROM webhook_deliveries d LEFT JOIN webhook_delivery_attempts a ON a.delivery_row_id = d.id
        WHERE d.status <> 'delivered' OR d.attempt_number <> 1 OR d.lease_owner IS NOT NULL`,
      { type: QueryTypes.SELECT },
    );
    expect(left).toEqual([]);
    expect(receiver.requests).toHaveLength(1000);
    expect(new Set(receiver.requests.map((r) => r.headers['x-webhook-delivery'])).size).toBe(1000);
    const [attempts] = await h.sequelize.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM webhook_delivery_attempts', { type: QueryTypes.SELECT });
    expect(Number(attempts!.n)).toBe(1000);
    const byEngine = { a: 0, b: 0 };
    for (const r of receiver.requests) byEngine[r.headers['user-agent'] === 'engine-a/1' ? 'a' : 'b']++;
    expect(byEngine.a).toBeGreaterThan(0);
    expect(byEngine.b).toBeGreaterThan(0);
    console.log(`[${dialect}] 1000 deliveries by two engines in ${elapsed} ms (engine a ${byEngine.a}, engine b ${byEngine.b})`);
    await other.close();
  }, 120_000);

  it('re-claims a row whose sender died mid-attempt once its lease has run out, and ignores the dead sender', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    await insertDue(h, webhookId, 3);
    const now = h.clock.now();
    // A sender claims the rows and dies: lease set, no completion.
    const { claimed } = await claimDeliveries(h.sequelize, { owner: 'dead-sender', now, leaseUntil: new Date(now.getTime() + 60_000), limit: 10 });
    expect(claimed).toHaveLength(3);

    expect(await h.engine.sweepOnce()).toBe(0);
    h.clock.advance(59_999);
    expect(await h.engine.sweepOnce()).toBe(0);
    h.clock.advance(1);
    expect(await h.engine.sweepOnce()).toBe(3);
    await h.engine.idle();
    expect(receiver.requests).toHaveLength(3);
    expect(await count(h, `webhook_id = ${webhookId} AND status = 'delivered' AND attempt_number = 1`)).toBe(3);

    // The dead sender comes back and tries to record its attempt: refused, nothing written.
    const stale = await completeAttempt(h.sequelize, {
      rowId: claimed[0]!.id,
      owner: 'dead-sender',
      now: h.clock.now(),
      attempt: { attemptNumber: 1, requestHeaders: {}, responseStatus: 500, responseHeaders: null, responseBody: null, durationMs: 1, error: 'late', cause: 'server_error', createdAt: now },
      decide: () => ({ status: 'failed', nextAttemptAt: null, lastStatusCode: 500, lastError: 'late', deliveredAt: null }),
    });
    expect(stale).toBeNull();
    expect(await h.attempts(claimed[0]!.id)).toHaveLength(1);
    expect(await count(h, `id = ${claimed[0]!.id} AND status = 'delivered'`)).toBe(1);
  });

  it('records a batch of attempts in one go, checking the lease of each row on its own', async () => {
    const webhookId = await h.createWebhook({ url: receiver.url });
    await insertDue(h, webhookId, 4);
    const now = h.clock.now();
    const { claimed } = await claimDeliveries(h.sequelize, { owner: 'batcher', now, leaseUntil: new Date(now.getTime() + 60_000), limit: 10 });
    expect(claimed).toHaveLength(4);
    const [a, b, c, d] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
    // Row c was redelivered meanwhile: its retry budget starts again at attempt 1.
    await h.sequelize.query(`UPDATE webhook_deliveries SET retry_base = 1 WHERE id = ${c.id}`);
    const later = new Date(now.getTime() + 1000);
    const seen: Record<number, number> = {};
    const completion = (rowId: number, owner: string, status: number): AttemptCompletion => ({
      rowId,
      owner,
      now: later,
      attempt: { attemptNumber: 1, requestHeaders: { 'x-n': String(rowId) }, responseStatus: status, responseHeaders: { a: 'b' }, responseBody: `body ${rowId} ? it's "quoted"`, durationMs: 3, error: status === 200 ? null : 'HTTP 500', cause: status === 200 ? 'ok' : 'server_error', createdAt: now },
      decide: (state) => {
        seen[rowId] = state.retryBase;
        return status === 200
          ? { status: 'delivered', nextAttemptAt: null, lastStatusCode: 200, lastError: null, deliveredAt: later }
          : { status: 'pending', nextAttemptAt: new Date(later.getTime() + 5000), lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null };
      },
    });
    const results = await completeAttempts(h.sequelize, [
      completion(a.id, 'batcher', 200),
      completion(b.id, 'someone-else', 200),
      completion(c.id, 'batcher', 500),
      completion(d.id, 'batcher', 200),
    ]);
    expect(results.map((r) => r?.status ?? null)).toEqual(['delivered', null, 'pending', 'delivered']);
    expect(seen).toEqual({ [a.id]: 0, [c.id]: 1, [d.id]: 0 });
    const rows = await h.deliveries(webhookId);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(a.id)).toMatchObject({ status: 'delivered', attempt_number: 1, lease_owner: null, last_status_code: 200, last_error: null });
    // The row whose lease was not ours is untouched: still leased, no attempt logged.
    expect(byId.get(b.id)).toMatchObject({ status: 'pending', attempt_number: 0, lease_owner: 'batcher' });
    expect(byId.get(c.id)).toMatchObject({ status: 'pending', attempt_number: 1, lease_owner: null, last_status_code: 500, last_error: 'HTTP 500' });
    expect(byId.get(c.id)!.next_attempt_at.getTime()).toBe(later.getTime() + 5000);
    expect(byId.get(d.id)).toMatchObject({ status: 'delivered', attempt_number: 1, lease_owner: null });
    expect(await h.attempts(b.id)).toHaveLength(0);
    const [logged] = await h.attempts(a.id);
    expect(logged).toMatchObject({ attempt_number: 1, response_status: 200, response_body: `body ${a.id} ? it's "quoted"` });
    expect(await h.attempts(c.id)).toHaveLength(1);
  });
});
