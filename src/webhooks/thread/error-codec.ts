import {
  ApiError,
  BodyTooLargeError,
  MalformedBodyError,
  NotFoundError,
  TooManyAttemptsError,
  ValidationError,
} from '../api/errors.js';
import { BlockedAddressError } from '../http/address-guard.js';

/**
 * An error as it crosses a thread: structured cloning keeps only an Error's message and stack, so
 * its class, `code`, `status` and field errors would be lost and the API would answer 500.
 */
export interface EncodedError {
  /** The registered class it was (see `errorClasses`), or null for any other error. */
  type: string | null;
  name: string;
  message: string;
  stack?: string;
  /** Its own data fields (code, status, errors, retryAfterSeconds, ...), those that survive JSON. */
  fields: Record<string, unknown>;
  cause?: EncodedError;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The classes rebuilt as themselves on the other side: those the API maps to a status, and the guard's refusal. */
const errorClasses = new Map<string, ErrorClass>(
  [ApiError, NotFoundError, ValidationError, MalformedBodyError, BodyTooLargeError, TooManyAttemptsError, BlockedAddressError].map((c) => [c.name, c]),
);

/** Carried in their own fields of EncodedError. */
const carried = new Set(['name', 'message', 'stack', 'cause']);

/** Causes nested deeper than this are dropped (a chain of wrapped driver errors). */
const MAX_CAUSE_DEPTH = 3;

/** Turns whatever was thrown into plain data that postMessage can carry. */
export function encodeError(thrown: unknown, depth = 0): EncodedError {
  if (!(thrown instanceof Error)) return { type: null, name: 'Error', message: String(thrown), fields: {} };
  const constructor = Object.getPrototypeOf(thrown)?.constructor as ErrorClass | undefined;
  const type = constructor && errorClasses.get(constructor.name) === constructor ? constructor.name : null;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(thrown)) {
    if (carried.has(key) || value instanceof Error) continue;
    const plain = asJson(value);
    if (plain !== undefined) fields[key] = plain;
  }
  const encoded: EncodedError = { type, name: thrown.name, message: thrown.message, fields };
  if (thrown.stack) encoded.stack = thrown.stack;
  if (thrown.cause !== undefined && depth < MAX_CAUSE_DEPTH) encoded.cause = encodeError(thrown.cause, depth + 1);
  return encoded;
}

/** Rebuilds the error: an instance of the same class when it is registered, with the same fields. */
export function decodeError(encoded: EncodedError): Error {
  const errorClass = encoded.type ? errorClasses.get(encoded.type) : undefined;
  // Its constructor is not run: it would want its own arguments and recompute what is already here.
  const err: Error = errorClass ? (Object.create(errorClass.prototype) as Error) : new Error();
  Object.defineProperty(err, 'message', { value: encoded.message, writable: true, configurable: true });
  if (encoded.stack) Object.defineProperty(err, 'stack', { value: encoded.stack, writable: true, configurable: true });
  if (errorClass || encoded.name !== 'Error') err.name = encoded.name;
  Object.assign(err, encoded.fields);
  if (encoded.cause) Object.defineProperty(err, 'cause', { value: decodeError(encoded.cause), writable: true, configurable: true });
  return err;
}

/** The value as JSON would carry it, or undefined when it cannot be (a function, a cycle, a bigint). */
function asJson(value: unknown): unknown {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
