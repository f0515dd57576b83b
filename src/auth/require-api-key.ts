import type { RequestHandler } from 'express';
import type { ApiKeyStore } from './api-keys.js';

/** The bearer token of a request, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The one 401 body, whatever was wrong: nothing tells a guesser which part failed. */
export const UNAUTHORIZED_BODY = Object.freeze({ success: false, data: null, message: 'Unauthorized: a valid API key is required' });

/** Express middleware: 401 with one body whatever was wrong, unless the bearer key is valid. */
export function requireApiKey(keys: ApiKeyStore): RequestHandler {
  return async (req, res, next) => {
    try {
      if (await keys.verify(bearerToken(req.headers.authorization))) return next();
      res.status(401).json(UNAUTHORIZED_BODY);
    } catch (err) {
      next(err);
    }
  };
}
