import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { engineCases, messageData, retryNow, startHarness, type Harness } from '../../support/engine-rig.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

describe.each(engineCases)('webhook delivery on %s, %s engine', (dialect, mode) => {
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
    await h.engine.idle();
    receiver.clear();
    receiver.respond(() => ({}));
    await h.sequelize.query('DELETE FROM webhooks');
  });

  it('POSTs the envelope with the SPEC headers and a signature over the exact bytes', async () => {
    const secret = 'whsec_' + 'ab'.repeat(32);
    await h.createWebhook({ url: receiver.url, secret });
    const occurredAt = h.clock.now();
    await h.emitMessage('Hello <b>there</b> — ünïcödé');
    await h.engine.idle();

    const [req] = await receiver.waitFor(1);
    const body = req!.json<{ event: string; delivery_id: string; timestamp: string; data: unknown }>();
    expect(req!.method).toBe('POST');
    expect(body).toEqual({ event: 'message.received', delivery_id: expect.any(String), timestamp: occurredAt.toISOString(), data: messageData('Hello <b>there</b> — ünïcödé') });
    expect(Object.keys(body)).toEqual(['event', 'delivery_id', 'timestamp', 'data']);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toBe(`${pkg.name}/${pkg.version}`);
    expect(req!.headers['x-webhook-event']).toBe('message.received');
    expect(req!.headers['x-webhook-delivery']).toBe(body.delivery_id);
    expect(body.delivery_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(req!.headers['x-webhook-timestamp']).toBe(h.clock.now().toISOString());
    expect(req!.headers['x-webhook-signature']).toBe(createHmac('sha256', secret).update(req!.body).digest('hex'));
    expect(req!.headers['x-webhook-test']).toBeUndefined();

    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'delivered', attempt_number: 1, delivery_id: body.delivery_id, lease_owner: null, last_status_code: 200 });
    expect(Buffer.from(row!.body, 'utf8').equals(req!.body)).toBe(true);
    const [attempt] = await h.attempts(row!.id);
    expect(attempt).toMatchObject({ attempt_number: 1, response_status: 200, cause: 'ok', error: null });
    expect(attempt!.request_headers['x-webhook-signature']).toBe(req!.headers['x-webhook-signature']);
  });

  it('sends no signature header when the webhook has no secret', async () => {
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    const [req] = await receiver.waitFor(1);
    expect(req!.headers).not.toHaveProperty('x-webhook-signature');
  });

  it('fans out one delivery per enabled subscribed webhook, each with its own delivery_id', async () => {
    const a = await h.createWebhook({ url: receiver.url + '?a' });
    const b = await h.createWebhook({ url: receiver.url + '?b', events: ['message.received', 'message.sent'] });
    await h.createWebhook({ url: receiver.url + '?c', events: ['conversation.started'] });
    await h.createWebhook({ url: receiver.url + '?d', isActive: false });
    await h.emitMessage();
    await h.engine.idle();
    const rows = await h.deliveries();
    expect(rows.map((r) => r.webhook_id).sort()).toEqual([a, b].sort());
    expect(new Set(rows.map((r) => r.delivery_id)).size).toBe(2);
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/hook?a', '/hook?b']);
  });

  it('makes exactly 1 + retries attempts to an always-500 endpoint, same delivery_id and bytes each time, then fails', async () => {
    receiver.respond(() => ({ status: 500, body: 'boom' }));
    await h.createWebhook({ url: receiver.url, secret: 's3cret' });
    await h.emitMessage();
    await h.engine.idle();
    for (let i = 0; i < 5; i++) await retryNow(h);

    expect(receiver.requests).toHaveLength(4);
    const first = receiver.requests[0]!;
    for (const req of receiver.requests) {
      expect(req.headers['x-webhook-delivery']).toBe(first.headers['x-webhook-delivery']);
      expect(req.body.equals(first.body)).toBe(true);
      expect(req.headers['x-webhook-signature']).toBe(first.headers['x-webhook-signature']);
    }
    // Each attempt carries its own time.
    expect(new Set(receiver.requests.map((r) => r.headers['x-webhook-timestamp'])).size).toBe(4);
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'failed', attempt_number: 4, last_status_code: 500 });
    const attempts = await h.attempts(row!.id);
    expect(attempts.map((a) => [a.attempt_number, a.response_status, a.cause])).toEqual([
      [1, 500, 'server_error'],
      [2, 500, 'server_error'],
      [3, 500, 'server_error'],
      [4, 500, 'server_error'],
    ]);
    expect(attempts[0]!.response_body).toBe('boom');
  });

  it('waits each configured delay before a retry', async () => {
    receiver.respond(() => ({ status: 500 }));
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    const [row] = await h.deliveries();
    expect(row!.next_attempt_at.getTime() - h.clock.now().getTime()).toBe(200);
    expect(await retryNow(h, 199)).toBe(0);
    expect(await retryNow(h, 1)).toBe(1);
    const [after] = await h.deliveries();
    expect(after!.next_attempt_at.getTime() - h.clock.now().getTime()).toBe(400);
  });

  it('is delivered when a 2xx follows failures', async () => {
    receiver.reply({ status: 502 }, { reset: true }, { status: 204 });
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    await retryNow(h);
    await retryNow(h);
    await retryNow(h);
    expect(receiver.requests).toHaveLength(3);
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'delivered', attempt_number: 3, last_error: null });
    expect((await h.attempts(row!.id)).map((a) => a.cause)).toEqual(['server_error', 'connection', 'ok']);
  });

  it('honours Retry-After on a 503: no retry before it, one after', async () => {
    receiver.reply({ status: 503, headers: { 'retry-after': '30' } });
    await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    const [row] = await h.deliveries();
    expect(row!.next_attempt_at.getTime() - h.clock.now().getTime()).toBe(30_000);
    expect(await retryNow(h, 29_000)).toBe(0);
    expect(await retryNow(h, 1_000)).toBe(1);
    expect((await h.deliveries())[0]!.status).toBe('delivered');
  });

  it('pauses a webhook that answers 429: its next event waits for the pause, others do not', async () => {
    const other = await startReceiver();
    try {
      receiver.reply({ status: 429, headers: { 'retry-after': '2' } });
      const limited = await h.createWebhook({ url: receiver.url });
      await h.createWebhook({ url: other.url });
      await h.emitMessage('one');
      await h.engine.idle();
      // Another conversation: what holds it is the pause, not the order behind 'one'.
      await h.emitMessage('two', undefined, 8);
      await h.engine.idle();
      expect(receiver.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(2);
      const held = (await h.deliveries(limited)).filter((d) => d.status === 'pending');
      expect(held).toHaveLength(2);
      expect(await retryNow(h, 1999)).toBe(0);
      expect(await retryNow(h, 1)).toBe(2);
      expect(receiver.requests).toHaveLength(3);
      expect((await h.deliveries(limited)).map((d) => d.status)).toEqual(['delivered', 'delivered']);
    } finally {
      await other.close();
    }
  });

  it('treats 410 Gone as final and disables the webhook with a reason', async () => {
    receiver.reply({ status: 410 });
    const id = await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    await retryNow(h);
    expect(receiver.requests).toHaveLength(1);
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'failed', attempt_number: 1, last_status_code: 410 });
    const webhook = await h.webhook(id);
    expect(Boolean(Number(webhook.is_active))).toBe(false);
    expect(String(webhook.disabled_reason)).toMatch(/410 Gone/);
    expect(webhook.disabled_at).not.toBeNull();
    // A disabled webhook gets no new deliveries.
    await h.emitMessage();
    await h.engine.idle();
    expect(await h.deliveries(id)).toHaveLength(1);
  });

  it('does not follow redirects: a 3xx is a failure', async () => {
    const target = await startReceiver();
    try {
      receiver.reply({ status: 302, headers: { location: target.url } });
      await h.createWebhook({ url: receiver.url });
      await h.emitMessage();
      await h.engine.idle();
      expect(target.requests).toHaveLength(0);
      const [row] = await h.deliveries();
      expect(row).toMatchObject({ status: 'pending', last_status_code: 302 });
      expect((await h.attempts(row!.id))[0]!.cause).toBe('redirect');
    } finally {
      await target.close();
    }
  });

  it('reads at most 64 KiB of a huge response body', async () => {
    receiver.reply({ status: 200, bodyBytes: 20 * 1024 * 1024 });
    await h.createWebhook({ url: receiver.url });
    const t0 = Date.now();
    await h.emitMessage();
    await h.engine.idle();
    const [row] = await h.deliveries();
    expect(row!.status).toBe('delivered');
    const [attempt] = await h.attempts(row!.id);
    expect(attempt!.response_body).toHaveLength(64 * 1024);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('holds the retries of a disabled webhook and sends them once it is enabled again', async () => {
    receiver.reply({ status: 500 });
    const id = await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    await h.setActive(id, false);
    expect(await retryNow(h)).toBe(0);
    expect(await retryNow(h, 3_600_000)).toBe(0);
    const [held] = await h.deliveries();
    expect(held).toMatchObject({ status: 'pending', attempt_number: 1 });
    await h.setActive(id, true);
    h.engine.wake();
    await h.engine.idle();
    expect(receiver.requests).toHaveLength(2);
    expect((await h.deliveries())[0]).toMatchObject({ status: 'delivered', attempt_number: 2 });
  });

  it('sendTest sends webhook.test now with X-Webhook-Test, logs it and never retries it', async () => {
    receiver.reply({ status: 500, body: 'nope' });
    const id = await h.createWebhook({ url: receiver.url, name: 'Ops', secret: 'k' });
    const result = await h.engine.sendTest(id);
    expect(result).toEqual({
      delivery_id: expect.any(String),
      attempt_number: 1,
      success: false,
      status_code: 500,
      duration_ms: expect.any(Number),
      error: expect.stringContaining('500'),
      cause: 'server_error',
    });
    const [req] = receiver.requests;
    expect(req!.headers['x-webhook-test']).toBe('true');
    expect(req!.headers['x-webhook-event']).toBe('webhook.test');
    expect(req!.json()).toMatchObject({ event: 'webhook.test', delivery_id: result!.delivery_id, data: { webhook_id: id, webhook_name: 'Ops', message: expect.any(String) } });
    expect(req!.headers['x-webhook-signature']).toBe(createHmac('sha256', 'k').update(req!.body).digest('hex'));
    await retryNow(h);
    expect(receiver.requests).toHaveLength(1);
    expect(await h.deliveries(id)).toMatchObject([{ status: 'failed', is_test: true, event: 'webhook.test' }]);
    // A failing test does not count against the webhook's health.
    expect(Number((await h.webhook(id)).consecutive_failures)).toBe(0);

    expect((await h.engine.sendTest(id))!.success).toBe(true);
    expect(await h.engine.sendTest(999_999)).toBeNull();
  });

  it('redeliver queues the same delivery again now with a fresh retry budget', async () => {
    receiver.respond(() => ({ status: 500 }));
    const id = await h.createWebhook({ url: receiver.url });
    await h.emitMessage();
    await h.engine.idle();
    for (let i = 0; i < 3; i++) await retryNow(h);
    const [failed] = await h.deliveries();
    expect(failed).toMatchObject({ status: 'failed', attempt_number: 4 });

    expect(await h.engine.redeliver(id, failed!.delivery_id)).toBe(true);
    await h.engine.idle();
    expect(receiver.requests).toHaveLength(5);
    expect(receiver.requests[4]!.body.equals(receiver.requests[0]!.body)).toBe(true);
    expect(receiver.requests[4]!.headers['x-webhook-delivery']).toBe(failed!.delivery_id);
    // Attempt numbers keep counting; the budget starts again: 3 more retries.
    expect((await h.deliveries())[0]).toMatchObject({ status: 'pending', attempt_number: 5, retry_base: 4 });
    for (let i = 0; i < 4; i++) await retryNow(h);
    expect(receiver.requests).toHaveLength(8);
    expect((await h.deliveries())[0]).toMatchObject({ status: 'failed', attempt_number: 8 });

    expect(await h.engine.redeliver(id, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await h.engine.redeliver(id + 1, failed!.delivery_id)).toBe(false);
  });

  it('recover requeues every failed delivery in the window and answers the count', async () => {
    receiver.respond(() => ({ status: 500 }));
    const id = await h.createWebhook({ url: receiver.url });
    const t0 = h.clock.now();
    // Three conversations: each delivery fails on its own schedule, none waits behind another.
    await h.emitMessage('a', undefined, 1);
    h.clock.advance(1000);
    await h.emitMessage('b', undefined, 2);
    h.clock.advance(1000);
    const t2 = h.clock.now();
    await h.emitMessage('c', undefined, 3);
    await h.engine.idle();
    for (let i = 0; i < 3; i++) await retryNow(h, 1000);
    expect((await h.deliveries(id)).map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);

    receiver.respond(() => ({ status: 200 }));
    expect(await h.engine.recover(id, t0, new Date(t2.getTime() - 1))).toBe(2);
    await h.engine.idle();
    expect((await h.deliveries(id)).map((d) => d.status)).toEqual(['delivered', 'delivered', 'failed']);
    expect(await h.engine.recover(id, t0, t2)).toBe(1);
    expect(await h.engine.recover(id + 1, t0, t2)).toBe(0);
  });
});
