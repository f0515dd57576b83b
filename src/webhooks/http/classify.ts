import { STATUS_CODES } from 'node:http';
import type { WebhookFormat } from '../events/formats/index.js';

/** Why an attempt ended as it did; stored with the attempt and shown to the admin. */
export type Cause =
  | 'ok'
  | 'auth'
  | 'not_found'
  | 'bad_payload'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'dns'
  | 'tls'
  | 'connection'
  | 'blocked_address'
  | 'redirect'
  | 'gone'
  | 'client_error'
  | 'invalid_response';

export interface RateLimitWindow {
  /** X-RateLimit-Limit: requests per window, when given. */
  limit: number | null;
  /** X-RateLimit-Remaining: requests left in this window. */
  remaining: number;
  /** X-RateLimit-Reset-After: until the window resets. */
  resetAfterMs: number;
}

export interface Outcome {
  ok: boolean;
  cause: Cause;
  /** No retry will help: stop retrying this delivery. */
  permanent: boolean;
  /** When set, disable the webhook and show the admin this reason. */
  disableReason: string | null;
  /** From Retry-After (seconds or HTTP date) or Discord's JSON retry_after (seconds, float). */
  retryAfterMs: number | null;
  /** Hold every delivery to this webhook this long: on 429, or when the rate-limit window is used up. */
  pauseMs: number | null;
  /** Readable error for the delivery log, e.g. "HTTP 404 channel_not_found". */
  message: string | null;
  /** The receiver's rate-limit window (Discord's X-RateLimit-*), so the sender can stay inside it. */
  rateLimit?: RateLimitWindow | null;
}

export interface ResponseInput {
  format: WebhookFormat;
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The clock Retry-After dates are measured against. */
  now?: Date;
}

/** Longest wait a receiver can ask for; beyond it a typo or a hostile header would park deliveries for good. */
export const MAX_WAIT_MS = 24 * 60 * 60 * 1000;

/** Slack incoming-webhook errors that no retry can fix, with what the admin should do. */
const slackPermanent: Record<string, string> = {
  channel_not_found: 'the channel was deleted or the webhook can no longer post to it. Create a new incoming webhook URL.',
  channel_is_archived: 'the channel is archived. Unarchive it or create a new incoming webhook URL.',
  action_prohibited: 'a workspace admin restricted posting to this channel.',
  posting_to_general_channel_denied: 'only admins may post to this channel.',
  invalid_token: 'the webhook URL was revoked. Create a new incoming webhook URL.',
  no_service: 'the incoming webhook was removed or disabled. Create a new incoming webhook URL.',
  no_service_id: 'the webhook URL is not valid. Copy it again from Slack.',
  no_team: 'the Slack workspace no longer exists.',
  team_disabled: 'the Slack workspace was disabled.',
};

/** Discord JSON error codes that mean the webhook URL itself is dead. */
const discordPermanent: Record<number, string> = {
  10015: 'Unknown Webhook: the webhook was deleted. Create a new one under the channel’s Integrations → Webhooks.',
  50027: 'Invalid Webhook Token: the URL’s token was reset. Copy the webhook URL again.',
};

const clampWait = (ms: number): number => Math.min(Math.max(0, Math.ceil(ms)), MAX_WAIT_MS);

function header(headers: ResponseInput['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) return first.trim();
  }
  return undefined;
}

function seconds(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return null;
  return clampWait(Number(text) * 1000);
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | null {
  if (value === undefined || value === '') return null;
  const delta = seconds(value);
  if (delta !== null) return delta;
  // An HTTP date names a weekday and a month; a bare "-5" would otherwise parse as the year -5.
  if (!/[a-z]{3}/i.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : clampWait(at - now.getTime());
}

function parseJson(body: string): Record<string, unknown> | null {
  if (!body.trimStart().startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Slack answers in plain text ("channel_not_found"), its Web API in JSON ({ ok:false, error }). */
function slackError(body: string, json: Record<string, unknown> | null): string | null {
  if (json && typeof json.error === 'string') return json.error;
  const token = body.trim();
  return /^[a-z][a-z0-9_]{1,80}$/.test(token) ? token : null;
}

/** A short, single-line excerpt of what the receiver said. */
function detail(body: string, json: Record<string, unknown> | null, statusCode: number): string {
  if (json) {
    const text = [json.message, json.error, json.error_description, json.detail].find((v) => typeof v === 'string');
    const code = typeof json.code === 'number' || typeof json.code === 'string' ? ` (code ${json.code})` : '';
    if (typeof text === 'string') return `${text}${code}`.slice(0, 200);
  }
  const line = body.replace(/\s+/g, ' ').trim();
  if (line !== '') return line.length > 200 ? `${line.slice(0, 199)}…` : line;
  return STATUS_CODES[statusCode] ?? 'Unknown status';
}

function causeOfStatus(status: number): Cause {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 400 || status === 422) return 'bad_payload';
  if (status === 410) return 'gone';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

/**
 * What an HTTP answer means for the delivery: success, a retryable failure, or a permanent one
 * that also disables the webhook (410 Gone, Slack's and Discord's "this webhook is dead" answers).
 */
export function classifyResponse(input: ResponseInput): Outcome {
  const { format, statusCode: status, headers, body } = input;
  const now = input.now ?? new Date();
  const json = parseJson(body);

  const retryAfterHeader = parseRetryAfter(header(headers, 'retry-after'), now);
  const retryAfterBody = status === 429 && typeof json?.retry_after === 'number' ? clampWait(json.retry_after * 1000) : null;
  const retryAfterMs =
    retryAfterHeader === null && retryAfterBody === null ? null : Math.max(retryAfterHeader ?? 0, retryAfterBody ?? 0);
  const resetAfterMs = seconds(header(headers, 'x-ratelimit-reset-after'));
  const windowUsedUp = header(headers, 'x-ratelimit-remaining') === '0' ? resetAfterMs : null;
  const pauses = [status === 429 ? (retryAfterMs ?? resetAfterMs) : null, windowUsedUp].filter((v): v is number => v !== null);
  const pauseMs = pauses.length > 0 ? Math.max(...pauses) : null;
  const count = (name: string) => {
    const text = header(headers, name);
    return text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  };
  const remaining = count('x-ratelimit-remaining');
  const limit = count('x-ratelimit-limit');
  const rateLimit: RateLimitWindow | null =
    Number.isInteger(remaining) && remaining >= 0 && resetAfterMs !== null
      ? { limit: Number.isInteger(limit) && limit > 0 ? limit : null, remaining, resetAfterMs }
      : null;

  const outcome = (cause: Cause, extra: Partial<Outcome> = {}): Outcome => ({
    ok: false,
    cause,
    permanent: false,
    disableReason: null,
    retryAfterMs,
    pauseMs,
    message: null,
    rateLimit,
    ...extra,
  });

  if (!Number.isInteger(status) || status < 100 || status > 599) {
    return outcome('invalid_response', { message: `Invalid HTTP status ${String(status)}` });
  }
  if (status >= 200 && status < 300) return outcome('ok', { ok: true, retryAfterMs: null });
  if (status < 200) return outcome('invalid_response', { message: `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim() });
  if (status < 400) {
    const location = header(headers, 'location');
    return outcome('redirect', {
      message: `HTTP ${status} redirect${location ? ` to ${location.slice(0, 500)}` : ''} (redirects are not followed)`,
    });
  }

  const cause = causeOfStatus(status);
  if (format === 'slack' && status < 500) {
    const error = slackError(body, json);
    const advice = error === null ? undefined : slackPermanent[error];
    if (error !== null && advice !== undefined) {
      return outcome(cause, { permanent: true, disableReason: `Slack answered ${error}: ${advice}`, message: `HTTP ${status} ${error}` });
    }
  }
  if (format === 'discord' && (status === 401 || status === 404) && typeof json?.code === 'number') {
    const advice = discordPermanent[json.code];
    if (advice !== undefined) {
      return outcome(cause, {
        permanent: true,
        disableReason: `Discord answered ${advice}`,
        message: `HTTP ${status} ${detail(body, json, status)}`,
      });
    }
  }
  if (status === 410) {
    return outcome('gone', {
      permanent: true,
      disableReason: 'The receiver answered 410 Gone: it asks not to be called again. Fix the URL, then enable the webhook.',
      message: `HTTP 410 ${detail(body, json, status)}`,
    });
  }
  return outcome(cause, { message: `HTTP ${status} ${detail(body, json, status)}` });
}

const tlsCodes = new Set([
  'EPROTO',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'HOSTNAME_MISMATCH',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
]);
const dnsCodes = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ENOTIMP']);
const timeoutCodes = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
]);

interface ErrorFacts {
  code?: string;
  name?: string;
  message?: string;
}

/** The error and its causes, outermost first (got wraps Node's error in a RequestError). */
function chain(err: unknown): ErrorFacts[] {
  const out: ErrorFacts[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    out.push({
      code: typeof e.code === 'string' ? e.code : undefined,
      name: typeof e.name === 'string' ? e.name : undefined,
      message: typeof e.message === 'string' ? e.message : undefined,
    });
    current = e.cause;
  }
  return out;
}

function causeOfError(facts: ErrorFacts): Cause | null {
  const { code = '', name = '', message = '' } = facts;
  if (code === 'ERR_BLOCKED_ADDRESS' || name === 'BlockedAddressError') return 'blocked_address';
  if (timeoutCodes.has(code) || name === 'TimeoutError') return 'timeout';
  if (tlsCodes.has(code) || /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_)/.test(code)) return 'tls';
  if (dnsCodes.has(code)) return 'dns';
  if (code.startsWith('HPE_')) return 'invalid_response';
  if (code === 'ERR_TOO_MANY_REDIRECTS') return 'redirect';
  if (connectionCodes.has(code) || /socket hang up/i.test(message)) return 'connection';
  return null;
}

const priority: readonly Cause[] = ['blocked_address', 'timeout', 'tls', 'dns', 'invalid_response', 'redirect', 'connection'];

/**
 * What a failed request (got or Node error, any depth of `cause`) means for the delivery.
 * Every transport failure is retryable; this never throws.
 */
export function classifyError(err: unknown): Outcome {
  const base: Outcome = { ok: false, cause: 'connection', permanent: false, disableReason: null, retryAfterMs: null, pauseMs: null, message: null };
  try {
    // got's HTTPError (throwHttpErrors left on) carries the response: classify that instead.
    const httpError = typeof err === 'object' && err !== null ? (err as { code?: unknown; response?: unknown }) : null;
    const response = httpError?.response as { statusCode?: unknown; headers?: unknown; body?: unknown } | undefined;
    if (httpError?.code === 'ERR_NON_2XX_3XX_RESPONSE' && typeof response?.statusCode === 'number') {
      return classifyResponse({
        format: 'json',
        statusCode: response.statusCode,
        headers: (response.headers ?? {}) as ResponseInput['headers'],
        body: typeof response.body === 'string' ? response.body : '',
      });
    }
    const facts = chain(err);
    const found = facts.map(causeOfError);
    const cause = priority.find((c) => found.includes(c)) ?? 'connection';
    const top = facts[0];
    const code = facts.map((f) => f.code).find((c) => c !== undefined && c !== 'ERR_GOT_REQUEST_ERROR');
    const text = top?.message ?? (typeof err === 'string' ? err : String(err));
    const message = code !== undefined && !text.includes(code) ? `${code}: ${text}` : text;
    return { ...base, cause, message: message.slice(0, 1000) || 'Request failed' };
  } catch {
    return { ...base, message: 'Request failed' };
  }
}
