import { threadId } from 'node:worker_threads';
import { QueryTypes } from 'sequelize';
import { writeTransaction } from '../../../src/db/write-queue.js';
import { HookBus } from '../../../src/hooks.js';
import { createLogger } from '../../../src/logger.js';
import { verifyWebhook } from '../../../src/webhooks/verify.js';
import { ThreadedDeliveryEngine } from '../../../src/webhooks/thread/host.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { appKey, messageData, startHarness, type Harness } from '../../support/engine-rig.js';

const SECRET = 'whsec_worker_test';

/**
 * WEBHOOK_WORKER=thread, the default on MariaDB: the engine runs in a worker thread and the chat's
 * thread only writes the outbox. The rest of the engine's behaviour is the same class and is
 * tested inline; this is what the thread adds: the hand-over of committed rows, the API's calls,
 * a dead worker replaced without losing rows, disables seen by the outbox, a graceful stop.
 */
describe('the delivery engine in a worker thread (MariaDB)', () => {
  let h: Harness;
  let receiver: Receiver;
  let engine: ThreadedDeliveryEngine;
  const hooks = new HookBus();

  const say = (content: string) =>
    writeTransaction(h.sequelize, (transaction) => hooks.emit('message.received', messageData(content), { transaction }));

  beforeAll(async () => {
    h = await startHarness('mysql', { WEBHOOK_SWEEP_CRON: '* * * * * *', WEBHOOK_WORKER: 'thread' });
    receiver = await startReceiver();
    engine = new ThreadedDeliveryEngine({ sequelize: h.sequelize, config: h.config, logger: createLogger('silent'), appKey, restartDelayMs: 100 });
    await engine.start();
    engine.attach(hooks);
    engine.startSweeper(h.config.WEBHOOK_SWEEP_CRON);
  });
  afterAll(async () => {
    await engine?.stop();
    await receiver?.close();
    await h?.close();
  });
  beforeEach(() => receiver.clear());
  // Each test's webhook is switched off afterwards, so the next test's receiver sees only its own.
  afterEach(async () => {
    await h.sequelize.query('UPDATE webhooks SET is_active = false');
  });

  it('sends a committed event from another thread, signed, and records it delivered', async () => {
    const id = await h.createWebhook({ url: receiver.url, secret: SECRET, events: ['message.received'] });
    await say('Hello from the chat thread');
    const [request] = await receiver.waitFor(1);
    expect(engine.worker?.threadId).toBeGreaterThan(threadId);
    expect(request!.json()).toMatchObject({ event: 'message.received', data: { content: 'Hello from the chat thread' } });
    expect(verifyWebhook(request!.body, request!.headers, SECRET)).toBe(true);
    await engine.idle();
    expect((await h.deliveries(id)).map((d) => [d.status, d.attempt_number])).toEqual([['delivered', 1]]);
  });

  it('writes one event row in the chat’s transaction, however many webhooks; the worker fans it out', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await h.createWebhook({ url: `${receiver.url}?n=${i}`, events: ['message.received'] }));
    const inside = await writeTransaction(h.sequelize, async (transaction) => {
      await hooks.emit('message.received', messageData('fan me out'), { transaction });
      const count = async (sql: string) => Number((await h.sequelize.query<{ n: unknown }>(sql, { type: QueryTypes.SELECT, transaction }))[0]!.n);
      return {
        events: await count('SELECT COUNT(*) AS n FROM webhook_events'),
        deliveries: await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id IN (${ids.join(', ')})`),
      };
    });
    expect(inside).toEqual({ events: 1, deliveries: 0 });
    const requests = await receiver.waitFor(3);
    expect(requests.map((r) => r.path).sort()).toEqual(['/hook?n=0', '/hook?n=1', '/hook?n=2']);
    await engine.idle();
    // Fanned out and gone: the table holds only events not yet fanned out.
    expect(await h.sequelize.query('SELECT id FROM webhook_events', { type: QueryTypes.SELECT })).toEqual([]);

    // A rolled-back chat transaction leaves no event and sends nothing.
    receiver.clear();
    await expect(writeTransaction(h.sequelize, async (transaction) => {
      await hooks.emit('message.received', messageData('never'), { transaction });
      throw new Error('the chat failed after emitting');
    })).rejects.toThrow('the chat failed after emitting');
    await engine.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toEqual([]);
    expect(await h.sequelize.query('SELECT id FROM webhook_events', { type: QueryTypes.SELECT })).toEqual([]);
  });

  it('answers the API’s calls: test send, redeliver, recover', async () => {
    const id = await h.createWebhook({ url: receiver.url, secret: SECRET, events: ['message.received'] });
    const test = await engine.sendTest(id);
    expect(test).toMatchObject({ success: true, status_code: 200, attempt_number: 1, cause: 'ok' });
    expect(await engine.sendTest(987654)).toBeNull();

    await say('send me twice');
    await receiver.waitFor(2);
    await engine.idle();
    const [row] = (await h.deliveries(id)).filter((d) => !d.is_test);
    expect(await engine.redeliver(id, row!.delivery_id)).toBe(true);
    const requests = await receiver.waitFor(3);
    expect(requests[2]!.json()).toMatchObject({ delivery_id: row!.delivery_id });
    expect(requests[2]!.text()).toBe(requests[1]!.text());
    expect(await engine.redeliver(id, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await engine.recover(id, new Date(Date.now() - 60_000), new Date())).toBe(0);
  });

  it('replaces a worker that dies; events committed while none runs are still delivered', async () => {
    const id = await h.createWebhook({ url: receiver.url, events: ['message.received'] });
    const first = engine.worker!;
    await first.terminate();
    for (let i = 1; i <= 5; i++) await say(`while the worker was down ${i}`);
    const requests = await receiver.waitFor(5, 10_000);
    expect(engine.worker).not.toBe(first);
    expect(requests.map((r) => r.json<{ data: { content: string } }>().data.content).sort()).toEqual(
      [1, 2, 3, 4, 5].map((i) => `while the worker was down ${i}`),
    );
    await engine.idle();
    expect((await h.deliveries(id)).map((d) => d.status)).toEqual(Array(5).fill('delivered'));
  });

  it('stops writing rows for a webhook as soon as the worker disables it (410 Gone)', async () => {
    const gone = await startReceiver(() => ({ status: 410 }));
    try {
      const id = await h.createWebhook({ url: gone.url, events: ['message.received'] });
      await say('first');
      await gone.waitFor(1);
      await engine.idle();
      expect(Boolean(Number((await h.webhook(id)).is_active))).toBe(false);
      // The event is fanned out to the webhooks enabled at that time: no held row for this one.
      await say('second');
      await engine.idle();
      expect(await h.sequelize.query('SELECT id FROM webhook_events', { type: QueryTypes.SELECT })).toEqual([]);
      expect(await h.deliveries(id)).toHaveLength(1);
    } finally {
      await gone.close();
    }
  });

  it('stops gracefully: an attempt in flight finishes and is recorded, then the thread ends', async () => {
    const slow = await startReceiver(() => ({ status: 200, delayMs: 400 }));
    try {
      const id = await h.createWebhook({ url: slow.url, events: ['message.received'] });
      await say('slow one');
      await slow.waitFor(1);
      const worker = engine.worker!;
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      await engine.stop();
      expect(await exited).toBe(0);
      expect((await h.deliveries(id)).map((d) => d.status)).toEqual(['delivered']);
    } finally {
      await slow.close();
    }
  });
});
