import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/logger.js';
import { connectRedis, type RedisLink } from '../../../src/redis/link.js';
import { SharedWebhookLimits, type Admission } from '../../../src/webhooks/delivery/shared-limits.js';
import type { Outcome } from '../../../src/webhooks/http/classify.js';
import { classifyResponse } from '../../../src/webhooks/http/classify.js';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger('silent');

/** What the receiver answered, as the engine classifies it. */
const answer = (status: number, headers: Record<string, string> = {}): Outcome => classifyResponse({ format: 'discord', statusCode: status, headers, body: '' });
const plain = answer(200);
const admitted = (a: Admission): string => {
  if (!a.ok || a.ticket === null) throw new Error(`not admitted: ${JSON.stringify(a)}`);
  return a.ticket;
};

/**
 * The shared limits against a real Redis, as two instances see them: two SharedWebhookLimits on
 * two connections, under a namespace of this run's own.
 */
describe('webhook limits shared through Redis', () => {
  let links: RedisLink[];
  let one: SharedWebhookLimits;
  let two: SharedWebhookLimits;
  let webhook = 0;
  const limits = (link: RedisLink, leaseMs = 10_000) => new SharedWebhookLimits(link, { perWebhook: 2, leaseMs, maxWaitMs: 0, logger });

  beforeAll(async () => {
    const namespace = `livechat:test-${randomUUID()}:`;
    links = [await connectRedis(REDIS_URL, { logger, namespace }), await connectRedis(REDIS_URL, { logger, namespace })];
    one = limits(links[0]!);
    two = limits(links[1]!);
  });
  afterAll(async () => {
    await links[0]!.client.eval(`for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('DEL', k) end`, { arguments: [links[0]!.namespace] });
    for (const link of links ?? []) await link.close();
  });
  beforeEach(() => void webhook++);

  it('lets one request probe a webhook nothing is known of, then as many as the cap across instances', async () => {
    const probe = admitted(await one.admit(webhook));
    expect(await two.admit(webhook)).toEqual({ ok: false, waitMs: expect.any(Number) });
    await one.settle(webhook, probe, plain, true);
    const first = admitted(await two.admit(webhook));
    admitted(await one.admit(webhook));
    // Two in flight on two instances: the cap (2) holds for both.
    expect((await one.admit(webhook)).ok).toBe(false);
    expect((await two.admit(webhook)).ok).toBe(false);
    await two.settle(webhook, first, plain, true);
    admitted(await one.admit(webhook));
  });

  it('pauses the webhook on every instance for the Retry-After of a 429', async () => {
    const ticket = admitted(await one.admit(webhook));
    await one.settle(webhook, ticket, answer(429, { 'retry-after': '3' }), true);
    const refused = await two.admit(webhook);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.waitMs).toBeGreaterThan(2500);
    expect(!refused.ok && refused.waitMs).toBeLessThanOrEqual(3000);
  });

  it('spends the receiver’s X-RateLimit window across instances and pauses them all when it is used up', async () => {
    const probe = admitted(await one.admit(webhook));
    await one.settle(webhook, probe, answer(200, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset-after': '1.5' }), true);
    // Three left, whichever instance sends them (each settled, so the cap of 2 is not what stops them).
    for (const side of [two, one, two]) await side.settle(webhook, admitted(await side.admit(webhook)), plain, true);
    const refused = await one.admit(webhook);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.waitMs).toBeGreaterThan(500);
    // A new window of the announced size once it resets.
    await sleep(!refused.ok ? refused.waitMs + 20 : 0);
    for (const side of [one, two, one, two, one]) await side.settle(webhook, admitted(await side.admit(webhook)), plain, true);
    expect((await two.admit(webhook)).ok).toBe(false);
  });

  it('keeps the smaller count of one window when answers arrive out of order', async () => {
    const probe = admitted(await one.admit(webhook));
    await one.settle(webhook, probe, answer(200, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '5' }), true);
    const early = admitted(await one.admit(webhook));
    const late = admitted(await two.admit(webhook));
    // The receiver counted `early` (3 left) then `late` (2 left); `late`'s answer comes back first.
    await two.settle(webhook, late, answer(200, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset-after': '4.99' }), true);
    await one.settle(webhook, early, answer(200, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '3', 'x-ratelimit-reset-after': '4.99' }), true);
    // Two are left at the receiver: never more go out (one fewer is the price of not knowing whether
    // `early` was counted when `late` answered).
    let sent = 0;
    for (let admission = await one.admit(webhook); admission.ok && sent < 5; admission = await two.admit(webhook)) {
      sent++;
      await one.settle(webhook, admission.ticket, plain, true);
    }
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(2);
  });

  it('frees the slots of an instance that died mid-request once their leases run out', async () => {
    const dying = limits(links[0]!, 300);
    const probe = admitted(await dying.admit(webhook));
    await dying.settle(webhook, probe, plain, true);
    admitted(await dying.admit(webhook));
    admitted(await dying.admit(webhook));
    // Never settled: the instance is gone.
    expect((await two.admit(webhook)).ok).toBe(false);
    await sleep(350);
    admitted(await two.admit(webhook));
  });

  it('waits for a slot another instance frees within maxWaitMs instead of giving up', async () => {
    const patient = new SharedWebhookLimits(links[1]!, { perWebhook: 1, leaseMs: 10_000, maxWaitMs: 3000, logger });
    const ticket = admitted(await one.admit(webhook));
    const waiting = patient.admit(webhook);
    await sleep(200);
    await one.settle(webhook, ticket, plain, true);
    admitted(await waiting);
  });

  it('admits everything while Redis is away (the per-process limiter alone holds)', async () => {
    const away = new SharedWebhookLimits(() => null, { perWebhook: 1, leaseMs: 10_000, maxWaitMs: 0, logger });
    expect(await away.admit(webhook)).toEqual({ ok: true, ticket: null });
    expect(await away.admit(webhook)).toEqual({ ok: true, ticket: null });
    await away.settle(webhook, null, answer(429, { 'retry-after': '3' }), true);
  });
});
