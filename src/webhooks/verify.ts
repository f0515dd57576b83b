import { timingSafeEqual } from 'node:crypto';
import { signPayload, signStandard } from './http/signing.js';

// Receivers install this file alone (`livechat-webhooks/verify`): keep its imports to node:crypto.

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

export interface VerifyOptions {
  /**
   * Refuse when the timestamp is further than this from `now` (either way). verifyWebhook: the
   * X-Webhook-Timestamp, off when unset. verifyStandardWebhook: the signed webhook-timestamp, 300 when unset.
   */
  toleranceSeconds?: number;
  /** The clock, for tests. */
  now?: Date;
}

export type VerifyFailure =
  | 'missing_secret'
  | 'invalid_body'
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'missing_id'
  | 'missing_timestamp'
  | 'invalid_timestamp'
  | 'timestamp_outside_tolerance';

export type VerifyResult = { ok: true; reason: null } | { ok: false; reason: VerifyFailure };

/** Every value of a header, whatever the casing of its name and the shape of the header bag. */
function headerValues(headers: HeaderBag, name: string): string[] {
  if (typeof (headers as Headers).get === 'function') {
    const value = (headers as Headers).get(name);
    return value === null ? [] : [value];
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    out.push(...(Array.isArray(value) ? value : [value]));
  }
  return out;
}

function parseTimestamp(value: string): number | null {
  const trimmed = value.trim();
  if (/^\d{9,11}$/.test(trimmed)) return Number(trimmed) * 1000;
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Checks X-Webhook-Signature against the raw request body, and tells why it fails.
 * Pass the bytes as received (express.raw, not express.json): re-serialised JSON will not match.
 */
export function verifyWebhookDetailed(rawBody: string | Buffer, headers: HeaderBag, secret: string, options: VerifyOptions = {}): VerifyResult {
  if (typeof secret !== 'string' || secret === '') return { ok: false, reason: 'missing_secret' };
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) return { ok: false, reason: 'invalid_body' };

  const signatures = headerValues(headers ?? {}, 'x-webhook-signature');
  if (signatures.length === 0) return { ok: false, reason: 'missing_signature' };
  const expected = Buffer.from(signPayload(secret, Buffer.from(rawBody as Uint8Array | string)), 'hex');
  let wellFormed = false;
  let matched = false;
  for (const value of signatures) {
    const hex = value.trim().toLowerCase().replace(/^sha256=/, '');
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    wellFormed = true;
    // Constant time: how much of a guess is right must not show in the response time.
    if (timingSafeEqual(Buffer.from(hex, 'hex'), expected)) matched = true;
  }
  if (!wellFormed) return { ok: false, reason: 'malformed_signature' };
  if (!matched) return { ok: false, reason: 'signature_mismatch' };

  if (options.toleranceSeconds !== undefined) {
    const [stamp] = headerValues(headers, 'x-webhook-timestamp');
    if (stamp === undefined) return { ok: false, reason: 'missing_timestamp' };
    const sentAt = parseTimestamp(stamp);
    if (sentAt === null) return { ok: false, reason: 'invalid_timestamp' };
    const now = (options.now ?? new Date()).getTime();
    if (Math.abs(now - sentAt) > options.toleranceSeconds * 1000) return { ok: false, reason: 'timestamp_outside_tolerance' };
  }
  return { ok: true, reason: null };
}

/**
 * True when the request really comes from this server's webhook with `secret`.
 *
 * @example
 * app.post('/hook', express.raw({ type: 'application/json' }), (req, res) => {
 *   if (!verifyWebhook(req.body, req.headers, process.env.WEBHOOK_SECRET!, { toleranceSeconds: 300 })) return res.sendStatus(401);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(rawBody: string | Buffer, headers: HeaderBag, secret: string, options: VerifyOptions = {}): boolean {
  try {
    return verifyWebhookDetailed(rawBody, headers, secret, options).ok;
  } catch {
    return false;
  }
}

/**
 * Checks the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
 * as the `standardwebhooks` library does, with the secret exactly as the webhook form or the API
 * showed it (a `whsec_` one or one an admin typed alike). The timestamp is signed, so the default
 * 5-minute tolerance refuses a captured request replayed later. Any one `v1,` entry may match:
 * during a rotation overlap the request carries one per valid secret.
 */
export function verifyStandardWebhookDetailed(rawBody: string | Buffer, headers: HeaderBag, secret: string, options: VerifyOptions = {}): VerifyResult {
  if (typeof secret !== 'string' || secret === '') return { ok: false, reason: 'missing_secret' };
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) return { ok: false, reason: 'invalid_body' };

  const signatures = headerValues(headers ?? {}, 'webhook-signature');
  if (signatures.length === 0) return { ok: false, reason: 'missing_signature' };
  const [id] = headerValues(headers, 'webhook-id');
  if (id === undefined || id === '') return { ok: false, reason: 'missing_id' };
  const [stamp] = headerValues(headers, 'webhook-timestamp');
  if (stamp === undefined) return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(stamp.trim())) return { ok: false, reason: 'invalid_timestamp' };
  const timestamp = Number(stamp.trim());

  const expected = Buffer.from(signStandard(secret, id, timestamp, Buffer.from(rawBody as Uint8Array | string)).slice('v1,'.length), 'base64');
  let wellFormed = false;
  let matched = false;
  for (const entry of signatures.join(' ').split(' ')) {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value || !/^[A-Za-z0-9+/]{43}=$/.test(value)) continue;
    wellFormed = true;
    if (timingSafeEqual(Buffer.from(value, 'base64'), expected)) matched = true;
  }
  if (!wellFormed) return { ok: false, reason: 'malformed_signature' };
  if (!matched) return { ok: false, reason: 'signature_mismatch' };

  const now = (options.now ?? new Date()).getTime();
  if (Math.abs(now - timestamp * 1000) > (options.toleranceSeconds ?? 300) * 1000) return { ok: false, reason: 'timestamp_outside_tolerance' };
  return { ok: true, reason: null };
}

/**
 * True when the Standard Webhooks signature holds for `secret` and was made within the tolerance.
 *
 * @example
 * app.post('/hook', express.raw({ type: 'application/json' }), (req, res) => {
 *   if (!verifyStandardWebhook(req.body, req.headers, process.env.WEBHOOK_SECRET!)) return res.sendStatus(401);
 *   res.sendStatus(204);
 * });
 */
export function verifyStandardWebhook(rawBody: string | Buffer, headers: HeaderBag, secret: string, options: VerifyOptions = {}): boolean {
  try {
    return verifyStandardWebhookDetailed(rawBody, headers, secret, options).ok;
  } catch {
    return false;
  }
}
