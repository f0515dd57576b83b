import { startReceiver, type Receiver } from '../../support/receiver.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { engineCases, messageData, startHarness, type Harness } from '../../support/engine-rig.js';

describe.each(engineCases)('webhook sender limits on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;
  let other: Receiver;

  beforeAll(async () => {
    h = await startHarness(dialect, { WEBHOOK_TIMEOUT_MS: '300', WEBHOOK_CONCURRENCY_PER_WEBHOOK: '2' }, {}, mode);
    receiver = await startReceiver();
    other = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
    await other?.close();
  });
  beforeEach(async () => {
    await h.engine.idle();
    receiver.clear();
    other.clear();
    receiver.respond(() => ({}));
    await h.sequelize.query('DELETE FROM webhooks');
  });

  it('gives up an attempt at WEBHOOK_TIMEOUT_MS and records a timeout', async () => {
    receiver.respond(() => ({ hang: true }));
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'pending', attempt_number: 1, last_status_code: null });
    const [attempt] = await h.attempts(row!.id);
    expect(attempt!.cause).toBe('timeout');
    expect(attempt!.duration_ms).toBeGreaterThanOrEqual(290);
    expect(attempt!.duration_ms).toBeLessThan(1300);
    expect(attempt!.error).toMatch(/timeout|timed out/i);
  });

  it('keeps a 2xx whose body then stalls as delivered (the receiver already accepted it)', async () => {
    receiver.respond(() => ({ status: 200, bodyBytes: 1 }));
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    expect((await h.deliveries())[0]!.status).toBe('delivered');
  });

  it('caps attempts per webhook: a hanging endpoint fills only its own slots', async () => {
    receiver.respond(() => ({ hang: true }));
    const hanging = await h.createWebhook({ url: receiver.url });
    const healthy = await h.createWebhook({ url: other.url });
    // Five conversations, so that the slots (not the order within one conversation) are what limits the hanging webhook.
    for (let i = 0; i < 5; i++) await h.emitMessage(`m${i}`, undefined, 100 + i);
    await other.waitFor(5, 2000);
    // While the healthy receiver got all five, the hanging one held exactly its two slots.
    expect(receiver.requests).toHaveLength(2);
    await h.engine.idle();
    expect((await h.deliveries(healthy)).every((d) => d.status === 'delivered')).toBe(true);
    // As slots freed (timeouts), the three left waiting went out without a cron sweep, two at a time.
    expect(receiver.requests).toHaveLength(5);
    const stuck = await h.deliveries(hanging);
    expect(stuck.map((d) => [d.status, d.attempt_number])).toEqual(Array(5).fill(['pending', 1]));
  });

  it('never runs the first attempt before the chat transaction commits, and never for a rolled-back one', async () => {
    await h.createWebhook({ url: receiver.url });
    await h
      .sequelize.transaction(async (t) => {
        await h.emitMessage('rolled back', t);
        throw new Error('rollback');
      })
      .catch(() => {});
    await h.engine.idle();
    expect(await h.deliveries()).toHaveLength(0);

    await h.sequelize.transaction(async (t) => {
      await h.emitMessage('committed', t);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.requests).toHaveLength(0);
    });
    await receiver.waitFor(1, 2000);
    expect(receiver.requests[0]!.json()).toMatchObject({ data: messageData('committed') });
  });

  it('retries on the node-cron schedule without anyone calling sweepOnce', async () => {
    receiver.reply({ status: 500 });
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    h.clock.advance(1000);
    const rig = await h.startEngine();
    rig.engine.startSweeper('* * * * * *');
    try {
      await receiver.waitFor(2, 3000);
      await rig.engine.idle();
      expect((await h.deliveries())[0]).toMatchObject({ status: 'delivered', attempt_number: 2 });
    } finally {
      await rig.close();
    }
  });

  it('stop() lets a running attempt end and records it, then makes no more', async () => {
    receiver.respond(() => ({ delayMs: 150 }));
    await h.createWebhook({ url: receiver.url });
    const rig = await h.startEngine();
    await rig.hooks.emit('message.received', messageData('bye'), { occurredAt: h.clock.now() });
    await receiver.waitFor(1, 2000);
    await rig.close();
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'delivered', lease_owner: null });
    expect(await h.attempts(row!.id)).toHaveLength(1);
  });

  it('stop() aborts an attempt still hanging after the grace period and records it for a retry', async () => {
    receiver.respond(() => ({ hang: true }));
    await h.createWebhook({ url: receiver.url });
    const rig = await h.startEngine({ WEBHOOK_TIMEOUT_MS: '5000' }, { stopGraceMs: 100 });
    await rig.hooks.emit('message.received', messageData('bye'), { occurredAt: h.clock.now() });
    await receiver.waitFor(1, 2000);
    const t0 = Date.now();
    await rig.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'pending', attempt_number: 1, lease_owner: null });
    expect(await h.attempts(row!.id)).toHaveLength(1);
  });
});

describe.each(engineCases)('address guard in the sender on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;

  beforeAll(async () => {
    // No allow-list: the loopback receiver is a blocked address, as it would be in production.
    h = await startHarness(dialect, { WEBHOOK_ALLOWED_HOSTS: '' }, {}, mode);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it.each([
    ['an IP literal', (port: number) => `http://127.0.0.1:${port}/hook`],
    ['a hostname resolving to loopback', (port: number) => `http://localhost:${port}/hook`],
    ['a private address', () => 'http://10.0.0.1/hook'],
    ['a metadata address', () => 'http://169.254.169.254/latest/meta-data'],
  ])('refuses %s with cause blocked_address', async (_label, url) => {
    await h.sequelize.query('DELETE FROM webhooks');
    const id = await h.createWebhook({ url: url(receiver.port) });
    await h.emitMessage();
    await h.engine.idle();
    const [row] = await h.deliveries(id);
    expect(row).toMatchObject({ status: 'pending', attempt_number: 1 });
    const [attempt] = await h.attempts(row!.id);
    expect(attempt).toMatchObject({ cause: 'blocked_address', response_status: null });
    expect(attempt!.error).toMatch(/Refusing to connect/);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses the Test action too', async () => {
    const id = await h.createWebhook({ url: receiver.url });
    expect(await h.engine.sendTest(id)).toMatchObject({ success: false, cause: 'blocked_address', status_code: null });
    expect(receiver.requests).toHaveLength(0);
  });
});
