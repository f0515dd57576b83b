import { startReceiver, type Receiver } from '../../support/receiver.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { engineCases, retryNow, startHarness, type Harness } from '../../support/engine-rig.js';

describe.each(engineCases)('webhook health rule on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;

  beforeAll(async () => {
    h = await startHarness(dialect, { WEBHOOK_RETRY_DELAYS: '0.1', WEBHOOK_DISABLE_AFTER_FAILURES: '2', WEBHOOK_DISABLE_AFTER_DAYS: '1' }, {}, mode);
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

  it('disables a webhook after N consecutive failed deliveries; a success in between resets the count', async () => {
    const id = await h.createWebhook({ url: receiver.url });
    receiver.reply({ status: 500 }, { status: 500 }, { status: 200 }, { status: 500 }, { status: 500 });
    await h.emitMessage('1');
    await h.engine.idle();
    await retryNow(h); // delivery 1 failed for good
    expect(Number((await h.webhook(id)).consecutive_failures)).toBe(1);
    await h.emitMessage('2');
    await h.engine.idle(); // delivered: the streak ends
    expect(await h.webhook(id)).toMatchObject({ consecutive_failures: 0, failing_since: null });

    receiver.respond(() => ({ status: 500 }));
    await h.emitMessage('3');
    await h.engine.idle();
    await retryNow(h);
    expect(Boolean(Number((await h.webhook(id)).is_active))).toBe(true);
    await h.emitMessage('4');
    await h.engine.idle();
    await retryNow(h);
    const webhook = await h.webhook(id);
    expect(Boolean(Number(webhook.is_active))).toBe(false);
    expect(String(webhook.disabled_reason)).toMatch(/2 consecutive failed deliveries/);
  });

  it('disables a webhook that has been failing continuously for WEBHOOK_DISABLE_AFTER_DAYS', async () => {
    const id = await h.createWebhook({ url: receiver.url });
    receiver.respond(() => ({ status: 503 }));
    await h.emitMessage();
    await h.engine.idle();
    expect((await h.webhook(id)).failing_since).not.toBeNull();
    await retryNow(h, 25 * 3600 * 1000);
    const webhook = await h.webhook(id);
    expect(Boolean(Number(webhook.is_active))).toBe(false);
    expect(String(webhook.disabled_reason)).toMatch(/failing continuously since/);
  });
});
