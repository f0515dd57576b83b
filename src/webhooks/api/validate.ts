import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Field errors of a zod failure, keyed by the top-level field so a form can show them beside
 * the field (`events[2]` is reported under `events`). Failures of the whole body go under `body`.
 */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const [field, ...rest] = issue.path;
    const key = field === undefined ? 'body' : String(field);
    const where = rest.length ? `[${rest.map(String).join('][')}]: ` : '';
    (errors[key] ??= []).push(where + issue.message);
  }
  return errors;
}

/** The parsed value, or a ValidationError (422) naming each bad field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(fieldErrors(result.error));
  return result.data;
}

/** Request bodies must be JSON objects; a missing body (no Content-Type) counts as `{}`. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError({ body: ['must be a JSON object'] });
  }
  return body as Record<string, unknown>;
}
