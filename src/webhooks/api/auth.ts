import type { RequestHandler } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TooManyAttemptsError } from './errors.js';

export interface FailedAuthLimit {
  /** Failed authentications one IP may make per window before it is refused. */
  maxFailures: number;
  windowSeconds: number;
}

export const DEFAULT_FAILED_AUTH_LIMIT: FailedAuthLimit = { maxFailures: 20, windowSeconds: 60 };

/**
 * Wraps the host's API-key check so that guessing keys is slow: every 401 it answers counts
 * against the caller's IP, and an IP over the limit gets 429 (with Retry-After) before its key is
 * even looked at, right or wrong, until the window passes. Successful requests cost nothing.
 * The count is per process; with several instances each allows the limit.
 */
export function limitFailedAuth(requireApiKey: RequestHandler, limit: FailedAuthLimit = DEFAULT_FAILED_AUTH_LIMIT): RequestHandler {
  const failures = new RateLimiterMemory({ points: limit.maxFailures, duration: limit.windowSeconds });
  return async (req, res, next) => {
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const state = await failures.get(ip);
    if (state && state.consumedPoints >= limit.maxFailures) {
      throw new TooManyAttemptsError(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
    }
    res.once('finish', () => {
      // consume() rejects once the limit is reached: that is the point, not an error.
      if (res.statusCode === 401) failures.consume(ip).catch(() => {});
    });
    return requireApiKey(req, res, next);
  };
}
