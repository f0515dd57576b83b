import { startReceiver, type Receiver } from '../../support/receiver.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { engineCases, retryNow, startHarness, type Harness } from '../../support/engine-rig.js';
import type { SlackMessage } from '../../../src/webhooks/events/formats/slack.js';

const everything = ['message.received', 'webhook.disabled', 'delivery.failed'];
const operational = ['webhook.disabled', 'delivery.failed'];

describe.each(engineCases)('operational events (webhook.disabled, delivery.failed) on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let a: Receiver;
  let b: Receiver;
  let c: Receiver;

  beforeAll(async () => {
    h = await startHarness(dialect, { WEBHOOK_RETRY_DELAYS: '0.2,0.4,0.6' }, {}, mode);
    [a, b, c] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([a?.close(), b?.close(), c?.close()]);
  });
  beforeEach(async () => {
    await h.engine.idle();
    for (const r of [a, b, c]) {
      r.clear();
      r.respond(() => ({}));
    }
    await h.sequelize.query('DELETE FROM webhooks');
  });

  it('a 410 disables webhook A; B, subscribed to webhook.disabled, is told, and A hears nothing about itself', async () => {
    a.respond(() => ({ status: 410, body: 'gone' }));
    const idA = await h.createWebhook({ url: a.url, events: everything, name: 'Shop <A>' });
    const idB = await h.createWebhook({ url: b.url, events: operational, name: 'Ops' });
    await h.emitMessage('hello');

    const got = await b.waitFor(2, 15_000);
    const byEvent = new Map(got.map((r) => [r.json().event as string, r.json()]));
    expect(byEvent.get('webhook.disabled')).toMatchObject({
      event: 'webhook.disabled',
      data: { webhook_id: idA, webhook_name: 'Shop <A>', reason: expect.stringContaining('410') },
    });
    expect(got.map((r) => r.headers['x-webhook-event']).sort()).toEqual(['delivery.failed', 'webhook.disabled']);
    // The 410 is final, so its delivery failed for good as well.
    expect(byEvent.get('delivery.failed')).toMatchObject({
      data: { webhook_id: idA, event: 'message.received', attempts: 1, last_status_code: 410 },
    });
    await h.engine.idle();
    expect(Boolean(Number((await h.webhook(idA)).is_active))).toBe(false);
    // A got the message and nothing about itself; no row about A was ever made for A.
    expect(a.requests.map((r) => r.json().event)).toEqual(['message.received']);
    expect((await h.deliveries(idA)).map((d) => d.event)).toEqual(['message.received']);
    expect((await h.deliveries(idB)).every((d) => d.status === 'delivered')).toBe(true);
  });

  it('delivery.failed after the attempts are used up, rendered for Slack too, never to the failing webhook', async () => {
    a.respond(() => ({ status: 503, body: 'down for maintenance' }));
    const idA = await h.createWebhook({ url: a.url, events: everything, name: 'Flaky' });
    await h.createWebhook({ url: b.url, events: ['delivery.failed'], name: 'Ops' });
    await h.createWebhook({ url: c.url, events: ['delivery.failed'], name: 'Slack ops', format: 'slack' });
    await h.emitMessage('are you there?');
    await h.engine.idle();
    for (let retry = 0; retry < 3; retry++) await retryNow(h);

    const [failedRow] = await h.deliveries(idA);
    expect(failedRow).toMatchObject({ status: 'failed', attempt_number: 4 });
    const [told] = await b.waitFor(1, 15_000);
    expect(told!.json()).toMatchObject({
      event: 'delivery.failed',
      data: {
        webhook_id: idA,
        webhook_name: 'Flaky',
        delivery_id: failedRow!.delivery_id,
        event: 'message.received',
        attempts: 4,
        last_status_code: 503,
        last_error: expect.stringContaining('503'),
      },
    });
    const [slack] = await c.waitFor(1, 15_000);
    const message = slack!.json<SlackMessage>();
    expect(message.text).toContain('could not be delivered to Flaky after 4 attempts');
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: 'A delivery to Flaky failed' } });
    await h.engine.idle();
    expect(a.requests.map((r) => r.json().event)).toEqual(Array(4).fill('message.received'));
    expect(a.requests).toHaveLength(4);
  });

  it('a failed delivery of an operational event raises no delivery.failed (two failing webhooks cannot feed each other)', async () => {
    a.respond(() => ({ status: 500 }));
    b.respond(() => ({ status: 500 }));
    await h.createWebhook({ url: a.url, events: ['message.received'], name: 'A' });
    const idB = await h.createWebhook({ url: b.url, events: ['delivery.failed'], name: 'B' });
    await h.createWebhook({ url: c.url, events: ['delivery.failed'], name: 'C' });
    await h.emitMessage('loop?');
    await h.engine.idle();
    for (let retry = 0; retry < 8; retry++) await retryNow(h);
    // C hears of A's failure once; B's own failure to deliver that news is not news.
    expect(c.requests.map((r) => r.json().data.webhook_id)).not.toContain(idB);
    expect(c.requests).toHaveLength(1);
    expect((await h.deliveries(idB)).map((d) => [d.event, d.status])).toEqual([['delivery.failed', 'failed']]);
  });
});
