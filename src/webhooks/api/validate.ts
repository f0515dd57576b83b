import { z } from 'zod';
import { cleanText, describePath, NUL_MESSAGE } from '../../text.js';
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

/**
 * SPEC §5's text rule on a body or query: `clean` has every string well-formed and leaves out
 * the fields holding U+0000 (so later checks do not add confusing messages about them), and
 * `errors` names those fields. The caller merges `errors` over its own. Fields the schema does
 * not know are ignored by it anyway, so a U+0000 there is dropped with them, not reported.
 */
export function cleanFields(raw: Record<string, unknown>, schema?: z.ZodType): { clean: Record<string, unknown>; errors: Record<string, string[]> } {
  const { value, nul } = cleanText(raw);
  const errors: Record<string, string[]> = {};
  if (nul.length === 0) return { clean: value, errors };
  const known = schema instanceof z.ZodObject ? new Set(Object.keys(schema.shape)) : null;
  const clean = { ...value };
  for (const [field, ...rest] of nul) {
    const key = String(field);
    delete clean[key];
    if (known && !known.has(key)) continue;
    const where = rest.length ? `${describePath(['', ...rest])}: ` : '';
    (errors[key] ??= []).push(where + NUL_MESSAGE);
  }
  return { clean, errors };
}

/** Like parseOrThrow, after the text rule: a field holding U+0000 is reported as such. */
export function parseFieldsOrThrow<T extends z.ZodType>(schema: T, raw: Record<string, unknown>): z.output<T> {
  const { clean, errors: textErrors } = cleanFields(raw, schema);
  const result = schema.safeParse(clean);
  const errors = { ...(result.success ? {} : fieldErrors(result.error)), ...textErrors };
  if (!result.success || Object.keys(errors).length > 0) throw new ValidationError(errors);
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
