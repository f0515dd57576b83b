import type { Sequelize } from 'sequelize';

/** What the connection pool looked like over a window: how often and how long callers queued for a connection. */
export interface PoolStats {
  max: number;
  samples: number;
  /** Share of samples with every connection in use. */
  saturated: number;
  meanWaiting: number;
  maxWaiting: number;
}

type Pool = { using: number; waiting: number; maxSize: number };

/**
 * Samples Sequelize's connection pool every `everyMs`. When the chat and the plugin share one
 * pool, callers queueing for a connection is the first thing to look at when acks slow down.
 */
export function samplePool(sequelize: Sequelize, everyMs = 5): { read(): PoolStats; stop(): void } {
  const pool = (sequelize as unknown as { connectionManager: { pool: Pool } }).connectionManager.pool;
  let samples = 0;
  let saturated = 0;
  let waitingSum = 0;
  let maxWaiting = 0;
  const timer = setInterval(() => {
    samples++;
    if (pool.using >= pool.maxSize) saturated++;
    waitingSum += pool.waiting;
    maxWaiting = Math.max(maxWaiting, pool.waiting);
  }, everyMs);
  timer.unref();
  return {
    read: () => {
      const stats = { max: pool.maxSize, samples, saturated: samples ? saturated / samples : 0, meanWaiting: samples ? waitingSum / samples : 0, maxWaiting };
      samples = saturated = waitingSum = maxWaiting = 0;
      return stats;
    },
    stop: () => clearInterval(timer),
  };
}
