import type { Request, RequestHandler, Response } from 'express';
import type { ApiKeyStore } from './api-keys.js';
import { CredentialGuard, type GuardLimit } from './credential-guard.js';
import type { LimiterFactory } from '../redis/limiters.js';

/** The bearer token of a request, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The one 401 body, whatever was wrong: nothing tells a guesser which part failed. */
export const UNAUTHORIZED_BODY = Object.freeze({ success: false, data: null, message: 'Unauthorized: a valid API key is required' });

export const TOO_MANY_ATTEMPTS_BODY = Object.freeze({ success: false, data: null, message: 'Too many failed authentication attempts; try again later' });

/** Failed API authentications allowed per bucket (see CredentialGuard): 20 a minute. */
export const DEFAULT_API_GUARD_LIMIT: GuardLimit = { maxFailures: 20, windowSeconds: 60 };

/** The guard of the REST API's bearer keys. */
export function apiKeyGuard(keys: ApiKeyStore, limit: GuardLimit = DEFAULT_API_GUARD_LIMIT, limiters?: LimiterFactory): CredentialGuard {
  return new CredentialGuard('api', limit, (prefix) => keys.hasPrefix(prefix), limiters);
}

/**
 * Checks a request's bearer key under the guard: true when it is valid, otherwise it has answered
 * 401 (counted as a failure) or 429 with Retry-After (refused without looking at the key).
 */
export async function checkBearer(keys: ApiKeyStore, guard: CredentialGuard, key: string | undefined, req: Request, res: Response): Promise<boolean> {
  const attempt = await guard.admit(req.ip ?? req.socket.remoteAddress ?? 'unknown', key);
  if (attempt.retryAfterSeconds !== null) {
    res.status(429).set('Retry-After', String(attempt.retryAfterSeconds)).json(TOO_MANY_ATTEMPTS_BODY);
    return false;
  }
  if (await keys.verify(key)) {
    await attempt.succeeded();
    return true;
  }
  await attempt.failed();
  res.status(401).json(UNAUTHORIZED_BODY);
  return false;
}

/**
 * Express middleware: 401 with one body whatever was wrong, unless the bearer key is valid; key
 * guessing is slowed down by `guard` (429 with Retry-After, see CredentialGuard).
 */
export function requireApiKey(keys: ApiKeyStore, guard: CredentialGuard = apiKeyGuard(keys)): RequestHandler {
  return async (req, res, next) => {
    try {
      if (await checkBearer(keys, guard, bearerToken(req.headers.authorization), req, res)) next();
    } catch (err) {
      next(err);
    }
  };
}
