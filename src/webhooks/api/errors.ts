/**
 * The REST API's errors: each has a stable `code` and the HTTP status it answers with, so a
 * handler throws and the router's error handler writes the SPEC §8 envelope.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 404: an unknown or malformed id in the path. */
export class NotFoundError extends ApiError {
  constructor(message = 'Not found') {
    super(404, 'ERR_NOT_FOUND', message);
  }
}

/** 422: invalid input, with the messages of each field (`{ url: ['must use https://'] }`). */
export class ValidationError extends ApiError {
  constructor(readonly errors: Record<string, string[]>, message = 'The given data was invalid.') {
    super(422, 'ERR_VALIDATION', message);
  }
}

/** 400: a body that is not JSON at all. */
export class MalformedBodyError extends ApiError {
  constructor(options?: { cause?: unknown }) {
    super(400, 'ERR_MALFORMED_JSON', 'Malformed JSON body', options);
  }
}

/** 413: a body over the size limit. */
export class BodyTooLargeError extends ApiError {
  constructor(limit: string, options?: { cause?: unknown }) {
    super(413, 'ERR_BODY_TOO_LARGE', `Request body too large (limit ${limit})`, options);
  }
}

/** 429: too many failed authentications from one address. */
export class TooManyAttemptsError extends ApiError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'ERR_TOO_MANY_ATTEMPTS', 'Too many failed authentication attempts; try again later');
  }
}
