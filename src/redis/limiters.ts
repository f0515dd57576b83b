import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisLink } from './link.js';

export interface LimitSpec {
  /** Names the count: `widget-messages`, `auth-api`, ... */
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
}

/** Where a rate limit keeps its counts: this process, or the Redis every instance shares. */
export type LimiterFactory = (spec: LimitSpec) => RateLimiterAbstract;

/** Counts in this process's memory: each instance allows the full limit (no REDIS_URL). */
export const memoryLimiters: LimiterFactory = (spec) => new RateLimiterMemory(spec);

/**
 * Counts in Redis, so all instances share one limit. While Redis is away (`rejectIfRedisNotReady`
 * answers at once instead of waiting) each call falls through to an in-memory insurance limiter:
 * the limit holds per instance, the chat keeps answering, and Redis takes over again when it returns.
 */
export function redisLimiters(link: RedisLink): LimiterFactory {
  return (spec) =>
    new RateLimiterRedis({
      ...spec,
      keyPrefix: `${link.namespace}${spec.keyPrefix}`,
      storeClient: link.client,
      // node-redis v4+ (its client class is no longer named Commander, so say it outright).
      useRedisPackage: true,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(spec),
    });
}
