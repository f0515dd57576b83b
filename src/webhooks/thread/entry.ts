import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { connectDatabase } from '../../db/connect.js';
import { SecretBox } from '../../crypto/secret-box.js';
import { createLogger } from '../../logger.js';
import { DeliveryEngine, type DeliveryEngineOptions } from '../delivery/engine.js';
import { deliveryEngineParts } from '../delivery/engine-parts.js';
import { sharedWebhookLimits } from '../delivery/shared-limits.js';
import { connectRedis, type RedisLink } from '../../redis/link.js';
import { deliveryWorkerMethods, type DeliveryWorkerApi, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';
import { serve, type RpcMessage } from './rpc.js';
import { SharedClock } from './shared-clock.js';

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
  const redis = init.redisNamespace && config.REDIS_URL ? connectInBackground(config.REDIS_URL, init.redisNamespace, logger) : null;
  // Counted here, in the thread that makes the attempts; the chat's thread reads them at each scrape.
  const metrics = new Registry();
  const parts = deliveryEngineParts(
    {
      sequelize,
      config,
      logger,
      secretBox: new SecretBox(Buffer.from(init.appKey)),
      ...(init.userAgent ? { userAgent: init.userAgent } : {}),
      shared: redis ? sharedWebhookLimits(() => redis.link, config, logger) : null,
      ...(init.clock ? { clock: new SharedClock(init.clock) } : {}),
    },
    metrics,
  );
  const engine = new WorkerEngine(parts.options, metrics, async () => {
    await redis?.close();
    parts.close();
    await sequelize.close();
    // Nothing is left to keep this thread alive: it ends once the answer is posted.
    port.unref();
  });

  serve<DeliveryWorkerApi>(port, engine, deliveryWorkerMethods);
  // The calls go to serve(); these are the messages that are only told.
  port.on('message', (message: ToWorker | RpcMessage) => {
    switch (message.type) {
      case 'events':
        engine.dispatchEvents(message.ids);
        return;
      case 'wake':
        engine.wake();
        return;
      case 'sweeper':
        engine.startSweeper(message.expression);
    }
  });
  post({ type: 'ready' });
  // Events and deliveries left by a previous run (or by a worker that died) go out now.
  engine.sweepOnce().catch((err: unknown) => logger.error({ err }, 'the first webhook sweep failed'));
}

/** The engine with what only the worker has: its metrics registry, and connections to close once stopped. */
class WorkerEngine extends DeliveryEngine implements DeliveryWorkerApi {
  constructor(
    options: DeliveryEngineOptions,
    private readonly registry: Registry,
    private readonly release: () => Promise<void>,
  ) {
    super(options);
  }

  metrics() {
    return this.registry.getMetricsAsJSON();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.release();
  }
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
