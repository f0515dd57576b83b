import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { writeTransaction } from '../../../src/db/write-queue.js';
import { HookBus } from '../../../src/hooks.js';
import { createLogger } from '../../../src/logger.js';
import { generateSecret } from '../../../src/webhooks/api/routes/webhooks.js';
import { WebhookAdmin } from '../../../src/webhooks/db/webhook-admin.js';
import { verifyStandardWebhookDetailed, verifyWebhook } from '../../../src/webhooks/verify.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../support/receiver.js';
import { ThreadedDeliveryEngine } from '../../../src/webhooks/thread/host.js';
import type { WebhookEngine } from '../../../src/webhooks/delivery/engine.js';
import { appKey, engineCases, messageData, retryNow, startHarness, type Harness } from '../../support/engine-rig.js';
import { libraries, verifyWith } from './standard-libraries.js';

const formats = ['json', 'slack', 'discord'] as const;

/**
 * Every real delivery (each format, the Test action, a retry, a redelivery) verified by the
 * `standardwebhooks` and `svix` libraries exactly as a receiver uses them, and refused by them when
 * the body, the secret or the timestamp is wrong. Rotation: both secrets sign during the overlap.
 */
describe.each(engineCases)('Standard Webhooks signatures on %s, %s engine', (dialect, mode) => {
  let h: Harness<WebhookEngine>;
  let receiver: Receiver;
  let admin: WebhookAdmin;

  beforeAll(async () => {
    h = await startHarness(dialect, {}, {}, mode);
    receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    admin = new WebhookAdmin(h.sequelize);
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });
  beforeEach(async () => {
    await h.engine.idle();
    receiver.clear();
    receiver.respond(() => ({ status: 200, body: 'ok' }));
    await h.sequelize.query('DELETE FROM webhooks');
  });

  /** The one request the next emit sends. */
  const nextRequest = async (send: () => Promise<unknown>): Promise<ReceivedRequest> => {
    const before = receiver.requests.length;
    await send();
    await h.engine.idle();
    const requests = await receiver.waitFor(before + 1);
    return requests[before]!;
  };

  /**
   * Every way a receiver holding `secret` checks a request: both libraries (a typed secret's bytes
   * with their raw option) and this package's verifyStandardWebhook.
   */
  const expectVerified = (request: ReceivedRequest, secret: string, typed = false) => {
    for (const library of libraries) {
      const result = typed ? verifyWith(library, Buffer.from(secret, 'utf8'), request, { raw: true }) : verifyWith(library, secret, request);
      expect({ library, result }).toEqual({ library, result: 'ok' });
    }
    expect(verifyStandardWebhookDetailed(request.body, request.headers, secret)).toEqual({ ok: true, reason: null });
  };

  it.each(formats)('signs a %s delivery so both libraries accept it, and refuse it tampered, with a wrong secret or stale', async (format) => {
    const secret = generateSecret();
    await h.createWebhook({ url: receiver.url, secret, format });
    const request = await nextRequest(() => h.emitMessage(`Hello from the ${format} test ✓`));
    const [row] = await h.deliveries();
    const nowSeconds = Math.floor(h.clock.now().getTime() / 1000);

    expect(request.headers['webhook-id']).toBe(row!.delivery_id);
    expect(request.headers['webhook-timestamp']).toBe(String(nowSeconds));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // The seed's hex signature is unchanged beside it.
    expect(request.headers['x-webhook-signature']).toBe(createHmac('sha256', secret).update(request.body).digest('hex'));
    expect(verifyWebhook(request.body, request.headers, secret)).toBe(true);
    expectVerified(request, secret);

    const tampered = { ...request, body: Buffer.from(request.text().replace('✓', '✗')) };
    for (const library of libraries) {
      expect(verifyWith(library, secret, tampered)).toBe('No matching signature found');
      expect(verifyWith(library, generateSecret(), request)).toBe('No matching signature found');
    }
    // The recorded attempt carries the same headers, so "Copy as curl" repeats a verifiable request.
    const [attempt] = await h.attempts(row!.id);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-webhook-signature']) {
      expect(attempt!.request_headers[name]).toBe(request.headers[name]);
    }
  });

  it('refuses a delivery whose timestamp is older than the libraries’ 5 minutes', async () => {
    const secret = generateSecret();
    await h.createWebhook({ url: receiver.url, secret });
    // The injected clock sends this attempt 6 minutes in the past, as a replayed capture would be.
    h.clock.advance(-6 * 60_000);
    try {
      const request = await nextRequest(() => h.emitMessage('captured and replayed'));
      for (const library of libraries) expect(verifyWith(library, secret, request)).toBe('Message timestamp too old');
      expect(verifyStandardWebhookDetailed(request.body, request.headers, secret)).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
      // The signature itself is good: only its age refuses it.
      expect(verifyStandardWebhookDetailed(request.body, request.headers, secret, { now: h.clock.now() })).toEqual({ ok: true, reason: null });
    } finally {
      h.clock.advance(6 * 60_000);
    }
  });

  it('signs the Test action’s delivery', async () => {
    const secret = generateSecret();
    const id = await h.createWebhook({ url: receiver.url, secret });
    const request = await nextRequest(() => h.engine.sendTest(id));
    expect(request.headers['x-webhook-test']).toBe('true');
    expect(request.json()).toMatchObject({ event: 'webhook.test', delivery_id: request.headers['webhook-id'] });
    expectVerified(request, secret);
  });

  it('keeps webhook-id across a retry and a redelivery, with each attempt’s own timestamp', async () => {
    const secret = generateSecret();
    const id = await h.createWebhook({ url: receiver.url, secret });
    receiver.reply({ status: 500, body: 'down' });
    const first = await nextRequest(() => h.emitMessage('retry me'));
    const retried = await nextRequest(() => retryNow(h, 2_000));
    const [row] = await h.deliveries();
    expect(row).toMatchObject({ status: 'delivered', attempt_number: 2 });
    const redelivered = await nextRequest(() => {
      h.clock.advance(3_000);
      return h.engine.redeliver(id, row!.delivery_id);
    });

    const stamps = [first, retried, redelivered].map((r) => Number(r.headers['webhook-timestamp']));
    expect([first, retried, redelivered].map((r) => r.headers['webhook-id'])).toEqual([row!.delivery_id, row!.delivery_id, row!.delivery_id]);
    expect(stamps[1]! - stamps[0]!).toBe(2);
    expect(stamps[2]! - stamps[1]!).toBe(3);
    expect(retried.body.equals(first.body)).toBe(true);
    for (const request of [first, retried, redelivered]) expectVerified(request, secret);
    // A newer attempt's signature does not fit an older timestamp: a replay cannot borrow it.
    const forged = { ...first, headers: { ...first.headers, 'webhook-signature': retried.headers['webhook-signature'] } };
    for (const library of libraries) expect(verifyWith(library, secret, forged)).toBe('No matching signature found');
  });

  it('signs with an admin-typed secret’s UTF-8 bytes: the libraries’ raw option verifies', async () => {
    for (const secret of ['my-own-signing-secret', 'pässwörd 🔑 of mine']) {
      await h.createWebhook({ url: receiver.url, secret });
      const request = await nextRequest(() => h.emitMessage(`typed secret ${secret}`));
      await h.sequelize.query('DELETE FROM webhooks');
      for (const library of libraries) {
        expect(verifyWith(library, Buffer.from(secret, 'utf8'), request, { raw: true })).toBe('ok');
        // Read as base64 (no raw option), a typed secret is another key.
        expect(verifyWith(library, secret, request)).not.toBe('ok');
      }
      expect(verifyStandardWebhookDetailed(request.body, request.headers, secret)).toEqual({ ok: true, reason: null });
    }
  });

  it('rotation: during the overlap a receiver with only the old or only the new secret verifies; after it, only the new', async () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const id = await h.createWebhook({ url: receiver.url, secret: oldSecret });
    const overlapEnds = new Date(h.clock.now().getTime() + 30_000);
    expect(await admin.rotateSecret(id, h.secretBox.encrypt(newSecret), overlapEnds, h.clock.now())).toBe(true);

    const during = await nextRequest(() => h.emitMessage('during the overlap'));
    const entries = String(during.headers['webhook-signature']).split(' ');
    expect(entries).toHaveLength(2);
    // The new secret's entry first; the hex signature is the new secret's only.
    expect(entries[0]).toBe(new StandardWebhook(newSecret).sign(String(during.headers['webhook-id']), new Date(Number(during.headers['webhook-timestamp']) * 1000), during.body));
    expect(during.headers['x-webhook-signature']).toBe(createHmac('sha256', newSecret).update(during.body).digest('hex'));
    expectVerified(during, oldSecret);
    expectVerified(during, newSecret);

    h.clock.advance(29_000);
    const lastSecond = await nextRequest(() => h.emitMessage('one second before the end'));
    expectVerified(lastSecond, oldSecret);

    h.clock.advance(1_000);
    const after = await nextRequest(() => h.emitMessage('after the overlap'));
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expectVerified(after, newSecret);
    for (const library of libraries) expect(verifyWith(library, oldSecret, after)).toBe('No matching signature found');
  });

  it('rotation without an overlap (the default): the old secret fails at once', async () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const id = await h.createWebhook({ url: receiver.url, secret: oldSecret });
    expect(await admin.rotateSecret(id, h.secretBox.encrypt(newSecret), null, h.clock.now())).toBe(true);
    const request = await nextRequest(() => h.emitMessage('right after'));
    expectVerified(request, newSecret);
    for (const library of libraries) expect(verifyWith(library, oldSecret, request)).toBe('No matching signature found');
  });

  it('a secret set by an edit ends the overlap; an unsigned webhook still sends webhook-id and webhook-timestamp', async () => {
    const id = await h.createWebhook({ url: receiver.url, secret: generateSecret() });
    await admin.rotateSecret(id, h.secretBox.encrypt(generateSecret()), new Date(h.clock.now().getTime() + 3_600_000), h.clock.now());
    const typed = 'typed after a rotation';
    await admin.update(id, { secret_encrypted: h.secretBox.encrypt(typed) }, h.clock.now());
    const request = await nextRequest(() => h.emitMessage('after the edit'));
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expectVerified(request, typed, true);

    await admin.update(id, { secret_encrypted: null }, h.clock.now());
    const unsigned = await nextRequest(() => h.emitMessage('unsigned'));
    expect(unsigned.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(unsigned.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(unsigned.headers['webhook-signature']).toBeUndefined();
    expect(unsigned.headers['x-webhook-signature']).toBeUndefined();
  });
});

/** The same signatures when the engine runs in its worker thread (WEBHOOK_WORKER=thread, MariaDB). */
describe('Standard Webhooks signatures from the delivery worker thread (MariaDB)', () => {
  let h: Harness;
  let receiver: Receiver;
  let engine: ThreadedDeliveryEngine;
  const hooks = new HookBus();

  beforeAll(async () => {
    h = await startHarness('mysql', { WEBHOOK_WORKER: 'thread' });
    receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    engine = new ThreadedDeliveryEngine({ sequelize: h.sequelize, config: h.config, logger: createLogger('silent'), appKey, restartDelayMs: 100 });
    await engine.start();
    engine.attach(hooks);
  });
  afterAll(async () => {
    await engine?.stop();
    await receiver?.close();
    await h?.close();
  });

  it('signs every format and the Test action; during an overlap both secrets verify', async () => {
    const admin = new WebhookAdmin(h.sequelize);
    const secrets = new Map<string, { old: string; new: string }>();
    for (const format of formats) {
      const pair = { old: generateSecret(), new: generateSecret() };
      const id = await h.createWebhook({ url: `${receiver.url}?format=${format}`, secret: pair.old, format });
      await admin.rotateSecret(id, h.secretBox.encrypt(pair.new), new Date(Date.now() + 3_600_000));
      secrets.set(format, pair);
      await engine.sendTest(id);
    }
    await writeTransaction(h.sequelize, (transaction) => hooks.emit('message.received', messageData('from the chat thread'), { transaction }));
    const requests = await receiver.waitFor(formats.length * 2, 15_000);
    for (const request of requests) {
      const format = new URL(request.path, 'http://x').searchParams.get('format')!;
      const pair = secrets.get(format)!;
      for (const secret of [pair.old, pair.new]) {
        for (const library of libraries) expect({ format, library, result: verifyWith(library, secret, request) }).toEqual({ format, library, result: 'ok' });
      }
      expect(verifyWith('svix', generateSecret(), request)).toBe('No matching signature found');
    }
    expect(requests.filter((r) => r.headers['x-webhook-test'] === 'true')).toHaveLength(formats.length);
  });
});
