import { nextRetryDelayMs, MAX_RETRY_AFTER_MS } from '../../../src/webhooks/http/retry-policy.js';
import { AttemptLimiter } from '../../../src/webhooks/delivery/limiter.js';
import { healthVerdict } from '../../../src/webhooks/delivery/health.js';
import { planDeliveries } from '../../../src/webhooks/events/plan.js';
import { buildEnvelope } from '../../../src/webhooks/events/envelope.js';
import type { Outcome } from '../../../src/webhooks/http/classify.js';
import type { WebhookRecord } from '../../../src/webhooks/db/webhook-store.js';
import { toWebhookRecord } from '../../../src/webhooks/db/webhook-store.js';
import { messageData } from '../../support/engine-rig.js';

const failure = (extra: Partial<Outcome> = {}): Outcome => ({
  ok: false, cause: 'server_error', permanent: false, disableReason: null, retryAfterMs: null, pauseMs: null, message: 'HTTP 500', ...extra,
});

describe('nextRetryDelayMs', () => {
  const delays = [120, 600, 1800];

  it('waits each configured delay in turn, then gives up: 4 attempts in all', () => {
    expect([1, 2, 3, 4].map((n) => nextRetryDelayMs(n, failure(), delays))).toEqual([120_000, 600_000, 1_800_000, null]);
  });

  it('never retries a success or a permanent failure', () => {
    expect(nextRetryDelayMs(1, { ...failure(), ok: true }, delays)).toBeNull();
    expect(nextRetryDelayMs(1, failure({ permanent: true, cause: 'gone' }), delays)).toBeNull();
  });

  it('waits at least Retry-After, but not forever', () => {
    expect(nextRetryDelayMs(1, failure({ retryAfterMs: 300_000 }), delays)).toBe(300_000);
    expect(nextRetryDelayMs(2, failure({ retryAfterMs: 5_000 }), delays)).toBe(600_000);
    expect(nextRetryDelayMs(1, failure({ retryAfterMs: 10 * MAX_RETRY_AFTER_MS }), delays)).toBe(MAX_RETRY_AFTER_MS);
    expect(nextRetryDelayMs(4, failure({ retryAfterMs: 1000 }), delays)).toBeNull();
  });

  it('accepts fractional seconds and an empty list (no retries)', () => {
    expect(nextRetryDelayMs(1, failure(), [0.2])).toBe(200);
    expect(nextRetryDelayMs(1, failure(), [])).toBeNull();
  });
});

describe('AttemptLimiter', () => {
  it('keeps to the receiver\'s rate-limit window, counting requests still in flight, and refills it on reset', () => {
    const l = new AttemptLimiter(100, 10);
    expect(l.tryAcquire(7, 0)).toBe(true);
    expect(l.tryAcquire(7, 0)).toBe(true);
    // The first answer: 3 left in a 500 ms window of 5; the other request in flight spends one of them.
    l.setBudget(7, { remaining: 3, resetAfterMs: 500, limit: 5 }, 10);
    l.release(7);
    expect([l.tryAcquire(7, 20), l.tryAcquire(7, 20), l.tryAcquire(7, 20)]).toEqual([true, true, false]);
    expect(l.pausedUntil(7, 20)).toBe(510);
    expect(l.accepts(8, 20)).toBe(true); // other webhooks are not held
    for (let i = 0; i < 3; i++) l.release(7);
    // A new window holds the announced limit.
    expect(Array.from({ length: 6 }, () => l.tryAcquire(7, 520))).toEqual([true, true, true, true, true, false]);
    expect(l.pausedUntil(7, 520)).toBe(1020);
  });

  it('pauses at once when the receiver says the window is used up', () => {
    const l = new AttemptLimiter(100, 10);
    expect(l.tryAcquire(1, 0)).toBe(true);
    l.setBudget(1, { remaining: 0, resetAfterMs: 250, limit: null }, 5);
    l.release(1);
    expect(l.tryAcquire(1, 100)).toBe(false);
    expect(l.pausedUntil(1, 100)).toBe(255);
    // With no announced limit the next window is unknown: no budget until the receiver says.
    expect([l.tryAcquire(1, 300), l.tryAcquire(1, 300)]).toEqual([true, true]);
  });

  it('caps attempts in all and per webhook', () => {
    const l = new AttemptLimiter(3, 2);
    expect([l.tryAcquire(1, 0), l.tryAcquire(1, 0), l.tryAcquire(1, 0)]).toEqual([true, true, false]);
    expect(l.blockedKeys(0)).toEqual([1]);
    expect(l.tryAcquire(2, 0)).toBe(true);
    expect(l.tryAcquire(3, 0)).toBe(false);
    expect(l.free).toBe(0);
    l.release(1);
    expect(l.tryAcquire(3, 0)).toBe(true);
    expect(l.inFlight).toBe(3);
  });

  it('frees HTTP slots when a request ends, but stops starting attempts once too many wait to be written', () => {
    const l = new AttemptLimiter(2, 2, 3);
    expect([l.tryAcquire(1, 0), l.tryAcquire(1, 0)]).toEqual([true, true]);
    l.sent(1);
    l.sent(1);
    // Both requests are over: their slots are free though neither attempt is recorded yet...
    expect(l.inFlight).toBe(0);
    expect(l.tryAcquire(1, 0)).toBe(true);
    // ...until three attempts wait to be written.
    l.sent(1);
    expect(l.free).toBe(0);
    expect(l.tryAcquire(2, 0)).toBe(false);
    l.recorded();
    expect(l.free).toBe(1);
    expect(l.tryAcquire(2, 0)).toBe(true);
  });

  it('pauses a webhook until the given time', () => {
    const l = new AttemptLimiter(10, 10);
    l.pause(5, 1000);
    expect(l.tryAcquire(5, 999)).toBe(false);
    expect(l.blockedKeys(999)).toEqual([5]);
    expect(l.tryAcquire(5, 1000)).toBe(true);
    expect(l.blockedKeys(1000)).toEqual([]);
  });
});

describe('healthVerdict', () => {
  const rules = { afterFailures: 3, afterDays: 5 };
  const now = new Date('2024-05-10T00:00:00Z');

  it('keeps a webhook below both limits', () => {
    expect(healthVerdict({ consecutive_failures: 2, failing_since: new Date('2024-05-06T00:00:00Z') }, now, rules)).toBeNull();
  });

  it('disables after N consecutive failed deliveries or D days of failing, with a reason', () => {
    expect(healthVerdict({ consecutive_failures: 3, failing_since: now }, now, rules)).toMatch(/3 consecutive failed deliveries/);
    expect(healthVerdict({ consecutive_failures: 1, failing_since: new Date('2024-05-05T00:00:00Z') }, now, rules)).toMatch(/since 2024-05-05/);
  });

  it('never disables when a rule is 0', () => {
    expect(healthVerdict({ consecutive_failures: 1000, failing_since: new Date(0) }, now, { afterFailures: 0, afterDays: 0 })).toBeNull();
  });
});

describe('planDeliveries', () => {
  const hook = (id: number, extra: Partial<WebhookRecord> = {}): WebhookRecord =>
    toWebhookRecord({ id, name: `h${id}`, url: `https://example.com/${id}`, events: '["message.received"]', is_active: 1, format: 'json', ...extra });

  it('renders one row per enabled subscribed webhook, each with its own delivery_id in the body', () => {
    const occurredAt = new Date('2024-05-01T10:00:00.123Z');
    let n = 0;
    const { rows } = planDeliveries(
      { event: 'message.received', occurredAt, data: messageData('hi') },
      [hook(1), hook(2, { is_active: false }), hook(3, { events: ['message.sent'] }), hook(4)],
      { now: occurredAt, newId: () => `00000000-0000-4000-8000-00000000000${++n}` },
    );
    expect(rows.map((r) => r.webhookId)).toEqual([1, 4]);
    expect(rows[0]!.body).toBe(JSON.stringify(buildEnvelope('message.received', rows[0]!.deliveryId, occurredAt, messageData('hi'))));
    expect(JSON.parse(rows[1]!.body)).toMatchObject({ delivery_id: rows[1]!.deliveryId, timestamp: '2024-05-01T10:00:00.123Z' });
  });

  it('reads rows of either dialect into a WebhookRecord', () => {
    const record = toWebhookRecord({
      id: '7', name: 'x', url: 'https://a.example', events: '["message.sent"]', secret_encrypted: 'v1.a.b.c', is_active: 0, format: 'slack',
      disabled_reason: null, disabled_at: '2024-05-01 10:00:00.000 +00:00', consecutive_failures: '2', failing_since: new Date('2024-05-01T09:00:00Z'),
      created_at: '2024-05-01 08:00:00.000', updated_at: '2024-05-01 08:00:00.000 +00:00',
    });
    expect(record).toMatchObject({ id: 7, events: ['message.sent'], is_active: false, has_secret: true, consecutive_failures: 2, format: 'slack' });
    expect(record.disabled_at!.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(record.created_at.toISOString()).toBe('2024-05-01T08:00:00.000Z');
  });
});
