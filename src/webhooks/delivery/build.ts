import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Logger } from '../../logger.js';
import type { MetricsHub } from '../../metrics/registry.js';
import type { RedisLink } from '../../redis/link.js';
import { ThreadedDeliveryEngine, wantsDeliveryThread } from '../thread/host.js';
import type { SharedClock } from '../thread/shared-clock.js';
import { DeliveryEngine, type WebhookEngine } from './engine.js';
import { deliveryEngineParts } from './engine-parts.js';
import { sharedWebhookLimits } from './shared-limits.js';

export interface BuildDeliveryEngineOptions {
  sequelize: Sequelize;
  config: Config;
  logger: Logger;
  /** The key that opens webhook secrets (a worker thread builds its own SecretBox from it). */
  appKey: Buffer;
  secretBox: SecretBox;
  /** The attempt metrics are counted here (from the worker thread, read at each scrape). */
  metrics: MetricsHub;
  /** Pauses and caps shared with other instances through this Redis link. */
  redis?: RedisLink | null;
  /** A clock moved by hand instead of the system's (tests); shared memory, so a worker reads it too. */
  clock?: SharedClock;
  userAgent?: string;
}

export interface BuiltDeliveryEngine {
  engine: WebhookEngine;
  /** Where it runs: a worker thread (WEBHOOK_WORKER=thread on MariaDB) or the chat's thread. */
  mode: 'thread' | 'inline';
  /** Stops the engine, then closes what was opened for it. */
  stop(): Promise<void>;
}

/**
 * The delivery engine the configuration asks for, started: in a worker thread when
 * wantsDeliveryThread says so, otherwise in the chat's thread. Either answers the same calls.
 */
export async function buildDeliveryEngine(options: BuildDeliveryEngineOptions): Promise<BuiltDeliveryEngine> {
  const { sequelize, config, logger, metrics, redis } = options;
  if (wantsDeliveryThread(config, sequelize)) {
    // HTTP to receivers never shares the chat's event loop. The worker opens a Redis connection of
    // its own: every POST asks Redis first, and a round trip through the chat's thread for each
    // would put delivery work back on the chat's event loop.
    const engine = new ThreadedDeliveryEngine({
      sequelize,
      config,
      logger,
      appKey: options.appKey,
      ...(redis ? { redisNamespace: redis.namespace } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
    await engine.start();
    // The worker counts its attempts; every scrape reads them.
    metrics.addSource(() => engine.metrics());
    return { engine, mode: 'thread', stop: () => engine.stop() };
  }
  const parts = deliveryEngineParts(
    {
      sequelize,
      config,
      logger,
      secretBox: options.secretBox,
      shared: redis ? sharedWebhookLimits(redis, config, logger) : null,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    },
    metrics.registry,
  );
  const engine = new DeliveryEngine(parts.options);
  return {
    engine,
    mode: 'inline',
    stop: async () => {
      await engine.stop();
      parts.close();
    },
  };
}
