import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import got from 'got';
import { Registry } from 'prom-client';
import { connectDatabase } from '../../db/connect.js';
import { SecretBox } from '../../crypto/secret-box.js';
import { createLogger } from '../../logger.js';
import { createAddressGuard } from '../http/address-guard.js';
import { DeliveryEngine } from '../delivery/engine.js';
import { registerAttemptMetrics } from '../delivery/metrics.js';
import { createDeliveryGot } from '../http/sender.js';
import type { FromWorker, ToWorker, WorkerCalls, WorkerInit } from './protocol.js';

/**
 * The delivery worker: a DeliveryEngine on an event loop (and connections) of its own. The chat's
 * thread writes the outbox rows and tells it which were committed; it claims, sends, records,
 * retries and keeps webhooks healthy, exactly as the engine does inline.
 */
const port = parentPort!;
const init = workerData as WorkerInit;
const post = (message: FromWorker) => port.postMessage(message);

async function main(): Promise<void> {
  const { config } = init;
  if (init.nice > 0) {
    // On Linux the nice value is per thread: only this one (and threads it starts) yields the CPU.
    try {
      setPriority(0, Math.min(19, init.nice));
    } catch {
      // Not permitted here: run at the chat's priority.
    }
  }
  const logger = createLogger(config.LOG_LEVEL, 'livechat', config.LOG_FORMAT).child({ plugin: 'webhooks', thread: 'delivery' });
  // The engine never runs more than WEBHOOK_DB_CONCURRENCY operations at once.
  const sequelize = await connectDatabase(config.DATABASE_URL, { poolMax: config.WEBHOOK_DB_CONCURRENCY });
  const guard = createAddressGuard(config.WEBHOOK_ALLOWED_HOSTS);
  const http = createDeliveryGot(got, guard);
  // Counted here, in the thread that makes the attempts; the chat's thread reads them at each scrape.
  const metrics = new Registry();
  const engine = new DeliveryEngine({
    metrics: registerAttemptMetrics(metrics),
    sequelize,
    config,
    logger,
    secretBox: new SecretBox(Buffer.from(init.appKey)),
    got: http.got,
    guard,
    ...(init.userAgent ? { userAgent: init.userAgent } : {}),
  });

  const calls: { [K in keyof WorkerCalls]: (...args: WorkerCalls[K]) => Promise<unknown> } = {
    sendTest: (webhookId) => engine.sendTest(webhookId),
    redeliver: (webhookId, deliveryId) => engine.redeliver(webhookId, deliveryId),
    recover: (webhookId, since, until) => engine.recover(webhookId, since, until),
    sweepOnce: () => engine.sweepOnce(),
    idle: () => engine.idle(),
    metrics: () => metrics.getMetricsAsJSON(),
    stop: async () => {
      await engine.stop();
      http.close();
      await sequelize.close();
      // Nothing is left to keep this thread alive: it ends once the answer is posted.
      port.unref();
    },
  };

  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'events':
        engine.dispatchEvents(message.ids);
        return;
      case 'wake':
        engine.wake();
        return;
      case 'sweeper':
        engine.startSweeper(message.expression);
        return;
      case 'call': {
        const run = calls[message.method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
        if (!run) return post({ type: 'answer', id: message.id, ok: false, message: `unknown call ${String(message.method)}` });
        Promise.resolve()
          .then(() => run(...message.args))
          .then(
            (value) => post({ type: 'answer', id: message.id, ok: true, value }),
            (err: unknown) => post({ type: 'answer', id: message.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
          );
      }
    }
  });
  post({ type: 'ready' });
  // Events and deliveries left by a previous run (or by a worker that died) go out now.
  engine.sweepOnce().catch((err: unknown) => logger.error({ err }, 'the first webhook sweep failed'));
}

main().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
