import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Got, Request } from 'got';
import type { AddressGuard } from './address-guard.js';
import { classifyError, classifyResponse, type Outcome } from './classify.js';
import type { WebhookFormat } from '../events/formats/index.js';
import { signPayload, standardSignatureHeader } from './signing.js';

/** At most this much of a response body is read and stored (SPEC §6); the rest is never downloaded. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface SendRequest {
  url: string;
  /** The stored body: sent byte for byte, signed byte for byte. */
  body: string;
  event: string;
  deliveryId: string;
  /** Plaintext secret, or null for an unsigned webhook. */
  secret: string | null;
  /** The secret a rotation replaced, still signing `webhook-signature` until `expiresAt` (SPEC §8). */
  previousSecret?: { secret: string; expiresAt: Date } | null;
  isTest: boolean;
  format: WebhookFormat;
}

export interface SendResult {
  outcome: Outcome;
  /** When the attempt started (the X-Webhook-Timestamp). */
  startedAt: Date;
  requestHeaders: Record<string, string>;
  statusCode: number | null;
  responseHeaders: Record<string, unknown> | null;
  /** At most MAX_RESPONSE_BYTES of the body, as UTF-8 text. */
  responseBody: string | null;
  durationMs: number;
  /** Readable error text for the log; null on success. */
  error: string | null;
}

export interface SenderOptions {
  got: Got;
  guard: AddressGuard;
  clock?: Clock;
  timeoutMs: number;
  userAgent?: string;
}

/**
 * POSTs one attempt and reports what happened; never throws. Redirects are failures, nothing is
 * retried here (the delivery table retries), and only the address the guard checked is reached.
 */
export class Sender {
  readonly #got: Got;
  readonly #guard: AddressGuard;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(options: SenderOptions) {
    this.#got = options.got;
    this.#guard = options.guard;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.timeoutMs;
    this.#userAgent = options.userAgent ?? packageUserAgent();
  }

  /** The SPEC §6 headers of an attempt made at `at`. */
  headersFor(request: SendRequest, at: Date): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
      'x-webhook-event': request.event,
      'x-webhook-timestamp': at.toISOString(),
      'x-webhook-delivery': request.deliveryId,
    };
    if (request.isTest) headers['x-webhook-test'] = 'true';
    // Standard Webhooks: the id is the delivery_id so a retry is recognised; the timestamp is this
    // attempt's, signed with the body, so a captured request cannot be replayed later.
    const timestamp = Math.floor(at.getTime() / 1000);
    headers['webhook-id'] = request.deliveryId;
    headers['webhook-timestamp'] = String(timestamp);
    if (request.secret) {
      const body = Buffer.from(request.body, 'utf8');
      headers['x-webhook-signature'] = signPayload(request.secret, body);
      const previous = request.previousSecret;
      const secrets = previous && at < previous.expiresAt ? [request.secret, previous.secret] : [request.secret];
      headers['webhook-signature'] = standardSignatureHeader(secrets, request.deliveryId, timestamp, body);
    }
    return headers;
  }

  async send(request: SendRequest, signal?: AbortSignal): Promise<SendResult> {
    const startedAt = this.#clock.now();
    const requestHeaders = this.headersFor(request, startedAt);
    const t0 = performance.now();
    const result = (partial: Omit<SendResult, 'startedAt' | 'requestHeaders' | 'durationMs'>): SendResult => ({
      ...partial,
      startedAt,
      requestHeaders,
      durationMs: Math.round(performance.now() - t0),
    });
    const failed = (err: unknown): SendResult => {
      const outcome = classifyError(err);
      return result({ outcome, statusCode: null, responseHeaders: null, responseBody: null, error: outcome.message ?? 'Request failed' });
    };

    let stream: Request;
    try {
      const url = new URL(request.url);
      this.#guard.checkUrlHost(url);
      stream = this.#got.stream(url, {
        method: 'POST',
        body: Buffer.from(request.body, 'utf8'),
        headers: requestHeaders,
        timeout: { request: this.#timeoutMs },
        followRedirect: false,
        retry: { limit: 0 },
        throwHttpErrors: false,
        dnsLookup: this.#guard.lookup,
      });
    } catch (err) {
      return failed(err);
    }

    // `signal` is long-lived (the engine's shutdown signal), so it is not handed to got: got
    // removes its listener only when a request is destroyed, never when its response is read to
    // the end, and each listener would keep its whole request alive (15 KiB an attempt, forever).
    // This attempt listens only while it runs.
    const abort = () => stream.destroy(abortedError());
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
    let read: ReadResult;
    try {
      read = await readCapped(stream, this.#timeoutMs + 1000);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    if (!read.response) return failed(read.error);
    const { statusCode, headers } = read.response;
    const body = read.body.toString('utf8');
    const outcome = classifyResponse({ format: request.format, statusCode, headers, body, now: this.#clock.now() });
    // Once the status line is in, the receiver has decided; a body that then stalls or breaks
    // does not turn a 2xx into a retry (that would deliver twice), it is only noted.
    const note = read.error ? `response body cut short: ${classifyError(read.error).message ?? 'error'}` : null;
    return result({
      outcome,
      statusCode,
      responseHeaders: headers,
      responseBody: body,
      error: outcome.ok ? note : [outcome.message, note].filter(Boolean).join('; ') || `HTTP ${statusCode}`,
    });
  }
}

/** Retryable, like any broken connection: the receiver may or may not have seen the request. */
function abortedError(): Error {
  return Object.assign(new Error('The attempt was aborted (shutting down)'), { code: 'ECONNABORTED', name: 'AbortError' });
}

interface ReadResult {
  response: { statusCode: number; headers: Record<string, string | string[] | undefined> } | null;
  body: Buffer;
  error: unknown;
}

/** Reads the response head and at most MAX_RESPONSE_BYTES of body, then drops the connection's remainder. */
function readCapped(stream: Request, hardLimitMs: number): Promise<ReadResult> {
  return new Promise((resolve) => {
    let response: ReadResult['response'] = null;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      resolve({ response, body: Buffer.concat(chunks, size), error });
    };
    // got's own timeout covers this; the guard makes sure no bug can leave an attempt open forever.
    const guard = setTimeout(() => {
      const err = Object.assign(new Error(`no answer within ${hardLimitMs} ms`), { code: 'ETIMEDOUT', name: 'TimeoutError' });
      finish(err);
      stream.destroy();
    }, hardLimitMs);
    stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
      response = { statusCode: res.statusCode, headers: { ...res.headers } };
    });
    stream.on('data', (chunk: Buffer) => {
      const room = MAX_RESPONSE_BYTES - size;
      if (room > 0) {
        const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
        chunks.push(piece);
        size += piece.length;
      }
      if (size >= MAX_RESPONSE_BYTES) {
        finish(null);
        stream.destroy();
      }
    });
    stream.on('end', () => finish(null));
    stream.on('error', (err: unknown) => finish(err));
    stream.on('close', () => finish(null));
  });
}

export interface DeliveryGot {
  got: Got;
  /** Closes the keep-alive sockets. */
  close(): void;
}

/**
 * The got instance the engine sends with: keep-alive agents (one TLS handshake per receiver, not
 * per attempt) whose connections resolve only through the address guard.
 */
export function createDeliveryGot(base: Got, guard: AddressGuard): DeliveryGot {
  const http = new HttpAgent({ keepAlive: true, maxFreeSockets: 64, lookup: guard.lookup } as ConstructorParameters<typeof HttpAgent>[0]);
  const https = new HttpsAgent({ keepAlive: true, maxFreeSockets: 64, lookup: guard.lookup } as ConstructorParameters<typeof HttpsAgent>[0]);
  return {
    got: base.extend({ agent: { http, https }, http2: false, dnsLookup: guard.lookup, followRedirect: false, retry: { limit: 0 }, throwHttpErrors: false }),
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
}

/** `<package name>/<version>` of the package this module belongs to (src/ or dist/src/). */
export function packageUserAgent(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name) return `${pkg.name}/${pkg.version ?? '0.0.0'}`;
    }
    if (dirname(dir) === dir) return 'livechat-webhooks';
  }
}
