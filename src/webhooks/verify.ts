import { timingSafeEqual } from 'node:crypto';
import { signPayload } from './http/signing.js';

// Receivers install this file alone (`livechat-webhooks/verify`): keep its imports to node:crypto.

export type HeaderBag = Record<string, string | string[] | undefined> | Headers;

export interface VerifyOptions {
  /** Refuse when X-Webhook-Timestamp is further than this from `now` (either way). Off when unset. */
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
