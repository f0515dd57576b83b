import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../../logger.js';
import { ApiError, BodyTooLargeError, MalformedBodyError, TooManyAttemptsError, ValidationError } from './errors.js';

/** Body parser failures (bad JSON, too large, bad charset) are the client's fault: 4xx, never 500. */
function toApiError(err: unknown, bodyLimit: string): ApiError | null {
  if (err instanceof ApiError) return err;
  const e = err as { type?: string; status?: unknown; expose?: boolean; message?: string } | null;
  if (e?.type === 'entity.parse.failed') return new MalformedBodyError({ cause: err });
  if (e?.type === 'entity.too.large') return new BodyTooLargeError(bodyLimit, { cause: err });
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new ApiError(e.status, 'ERR_BAD_REQUEST', e.expose && e.message ? e.message : 'Bad request', { cause: err });
  }
  return null;
}

/**
 * Writes every error as the SPEC §8 envelope: `{ success: false, data: null, message }`, or for
 * 422 `{ success: false, message, errors }`. Anything unexpected is logged and answered 500
 * without details.
 */
export function apiErrorHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const apiError = toApiError(err, bodyLimit);
    if (!apiError) {
      logger.error({ err, method: req.method, path: req.path }, 'webhooks API request failed');
      res.status(500).json({ success: false, data: null, message: 'Internal server error' });
      return;
    }
    if (apiError instanceof TooManyAttemptsError) res.set('Retry-After', String(apiError.retryAfterSeconds));
    if (apiError instanceof ValidationError) {
      res.status(422).json({ success: false, message: apiError.message, errors: apiError.errors });
      return;
    }
    res.status(apiError.status).json({ success: false, data: null, message: apiError.message });
  };
}
