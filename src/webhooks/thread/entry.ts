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
import { sharedWebhookLimits } from '../delivery/shared-limits.js';
import { connectRedis, type RedisLink } from '../../redis/link.js';
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
  const redis = init.redisNamespace && config.REDIS_URL ? connectInBackground(config.REDIS_URL, init.redisNamespace, logger) : null;
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
    shared: redis ? sharedWebhookLimits(() => redis.link, config, logger) : null,
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
      await redis?.close();
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

/**
 * The worker's own Redis connection. Until it is up (or whenever Redis is away) the engine's limits
 * hold per process, as without Redis: a worker started again during an outage still delivers.
 * The chat's thread already logs an outage, so this connection logs it at debug level only.
 */
function connectInBackground(url: string, namespace: string, logger: ReturnType<typeof createLogger>) {
  let link: RedisLink | null = null;
  let closed = false;
  const connecting = (async () => {
    while (!closed) {
      try {
        link = await connectRedis(url, { logger, namespace, quiet: true, connectTimeoutMs: 2000 });
        if (closed) await link.close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
  return {
    get link() {
      return link;
    },
    async close() {
      closed = true;
      await connecting;
      await link?.close();
    },
  };
}

main().catch((err: unknown) => post({ type: 'failed', message: err instanceof Error ? err.message : String(err) }));
