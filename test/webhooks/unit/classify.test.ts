import { RequestError, TimeoutError } from 'got';
import { BlockedAddressError } from '../../../src/webhooks/http/address-guard.js';
import { classifyError, classifyResponse, MAX_WAIT_MS, parseRetryAfter, type Cause } from '../../../src/webhooks/http/classify.js';
import type { WebhookFormat } from '../../../src/webhooks/events/formats/index.js';

const now = new Date('2025-03-01T12:00:00.000Z');
const respond = (statusCode: number, body = '', headers: Record<string, string | string[] | undefined> = {}, format: WebhookFormat = 'json') =>
  classifyResponse({ format, statusCode, headers, body, now });

describe('classifyResponse: status codes', () => {
  it.each([200, 201, 202, 204, 299])('%i is ok', (status) => {
    expect(respond(status, 'ok')).toEqual({
      ok: true,
      cause: 'ok',
      permanent: false,
      disableReason: null,
      retryAfterMs: null,
      pauseMs: null,
      message: null,
      rateLimit: null,
    });
  });

  it.each<[number, Cause]>([
    [301, 'redirect'],
    [302, 'redirect'],
    [307, 'redirect'],
    [308, 'redirect'],
    [400, 'bad_payload'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [405, 'client_error'],
    [408, 'client_error'],
    [413, 'client_error'],
    [422, 'bad_payload'],
    [429, 'rate_limited'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [504, 'server_error'],
  ])('%i is a retryable %s failure', (status, cause) => {
    const outcome = respond(status, '');
    expect(outcome).toMatchObject({ ok: false, cause, permanent: false, disableReason: null });
    expect(outcome.message).toMatch(new RegExp(`^HTTP ${status} `));
  });

  it('names the redirect target and says redirects are not followed', () => {
    expect(respond(302, '', { Location: 'https://elsewhere.example/x' }).message).toBe(
      'HTTP 302 redirect to https://elsewhere.example/x (redirects are not followed)',
    );
  });

  it('410 Gone is permanent and disables the webhook, whatever the format', () => {
    for (const format of ['json', 'slack', 'discord'] as const) {
      const outcome = respond(410, 'gone for good', {}, format);
      expect(outcome).toMatchObject({ ok: false, cause: 'gone', permanent: true, message: 'HTTP 410 gone for good' });
      expect(outcome.disableReason).toMatch(/410 Gone/);
    }
  });

  it('quotes a short, single-line excerpt of the body, or the status text', () => {
    expect(respond(500, '<html>\n  <body>Internal   error</body>\n</html>').message).toBe('HTTP 500 <html> <body>Internal error</body> </html>');
    expect(respond(503, '').message).toBe('HTTP 503 Service Unavailable');
    expect(respond(500, 'x'.repeat(5000)).message).toHaveLength('HTTP 500 '.length + 200);
    expect(respond(422, JSON.stringify({ message: 'Invalid payload', code: 'E_SCHEMA' })).message).toBe('HTTP 422 Invalid payload (code E_SCHEMA)');
  });

  it('treats impossible statuses as an invalid response', () => {
    expect(respond(0).cause).toBe('invalid_response');
    expect(respond(600).cause).toBe('invalid_response');
    expect(respond(101).cause).toBe('invalid_response');
    expect(respond(Number.NaN).cause).toBe('invalid_response');
  });
});

describe('classifyResponse: Slack', () => {
  it.each([
    [404, 'channel_not_found', 'not_found'],
    [410, 'channel_is_archived', 'gone'],
    [403, 'action_prohibited', 'auth'],
    [403, 'invalid_token', 'auth'],
    [404, 'no_service', 'not_found'],
    [403, 'posting_to_general_channel_denied', 'auth'],
    [404, 'no_team', 'not_found'],
    [404, 'team_disabled', 'not_found'],
  ])('%i %s is permanent and disables the webhook with a reason', (status, error, cause) => {
    const outcome = respond(status, error, { 'content-type': 'text/html' }, 'slack');
    expect(outcome).toMatchObject({ ok: false, cause, permanent: true, message: `HTTP ${status} ${error}` });
    expect(outcome.disableReason).toMatch(new RegExp(`^Slack answered ${error}: `));
  });

  it('reads the Web API JSON error shape too', () => {
    expect(respond(404, '{"ok":false,"error":"channel_not_found"}', {}, 'slack')).toMatchObject({ permanent: true, message: 'HTTP 404 channel_not_found' });
  });

  it('keeps payload errors and unknown answers retryable', () => {
    expect(respond(400, 'invalid_payload', {}, 'slack')).toMatchObject({ cause: 'bad_payload', permanent: false, message: 'HTTP 400 invalid_payload' });
    expect(respond(400, 'no_text', {}, 'slack')).toMatchObject({ cause: 'bad_payload', permanent: false });
    expect(respond(500, 'channel_not_found', {}, 'slack')).toMatchObject({ cause: 'server_error', permanent: false });
    expect(respond(403, 'forbidden by proxy', {}, 'slack')).toMatchObject({ cause: 'auth', permanent: false });
  });

  it('does not apply Slack meanings to other formats', () => {
    expect(respond(404, 'channel_not_found', {}, 'json')).toMatchObject({ cause: 'not_found', permanent: false, disableReason: null });
  });
});

describe('classifyResponse: Discord', () => {
  const unknownWebhook = JSON.stringify({ message: 'Unknown Webhook', code: 10015 });
  const invalidToken = JSON.stringify({ message: 'Invalid Webhook Token', code: 50027 });

  it.each([
    [404, unknownWebhook, 'not_found', 'HTTP 404 Unknown Webhook (code 10015)'],
    [401, unknownWebhook, 'auth', 'HTTP 401 Unknown Webhook (code 10015)'],
    [401, invalidToken, 'auth', 'HTTP 401 Invalid Webhook Token (code 50027)'],
    [404, invalidToken, 'not_found', 'HTTP 404 Invalid Webhook Token (code 50027)'],
  ])('%i %s is permanent and disables the webhook', (status, body, cause, message) => {
    const outcome = respond(status, body, { 'content-type': 'application/json' }, 'discord');
    expect(outcome).toMatchObject({ ok: false, cause, permanent: true, message });
    expect(outcome.disableReason).toMatch(/^Discord answered (Unknown Webhook|Invalid Webhook Token)/);
  });

  it('keeps other Discord errors retryable', () => {
    expect(respond(400, JSON.stringify({ message: 'Invalid Form Body', code: 50035 }), {}, 'discord')).toMatchObject({
      cause: 'bad_payload',
      permanent: false,
      message: 'HTTP 400 Invalid Form Body (code 50035)',
    });
    expect(respond(403, JSON.stringify({ message: 'Missing Access', code: 50001 }), {}, 'discord')).toMatchObject({ cause: 'auth', permanent: false });
    expect(respond(404, 'not json', {}, 'discord')).toMatchObject({ cause: 'not_found', permanent: false });
    expect(respond(404, unknownWebhook, {}, 'json')).toMatchObject({ permanent: false });
  });
});

describe('classifyResponse: waits and pacing', () => {
  it('reads Retry-After in seconds', () => {
    expect(respond(503, '', { 'Retry-After': '120' })).toMatchObject({ cause: 'server_error', retryAfterMs: 120_000, pauseMs: null });
    expect(respond(429, '', { 'retry-after': '7' })).toMatchObject({ cause: 'rate_limited', retryAfterMs: 7000, pauseMs: 7000 });
    expect(respond(429, '', { 'retry-after': ['3', '9'] }).retryAfterMs).toBe(3000);
  });

  it('reads Retry-After as an HTTP date, and a past date as no wait', () => {
    expect(respond(503, '', { 'retry-after': 'Sat, 01 Mar 2025 12:05:00 GMT' }).retryAfterMs).toBe(300_000);
    expect(respond(503, '', { 'retry-after': 'Sat, 01 Mar 2025 11:00:00 GMT' }).retryAfterMs).toBe(0);
    expect(respond(503, '', { 'retry-after': 'soon' }).retryAfterMs).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
  });

  it('caps absurd waits at a day', () => {
    expect(respond(429, '', { 'retry-after': '99999999999' }).retryAfterMs).toBe(MAX_WAIT_MS);
  });

  it('reads Discord\'s float retry_after (seconds) from the JSON body, and pauses the webhook', () => {
    const body = JSON.stringify({ message: 'You are being rate limited.', retry_after: 64.57, global: false });
    expect(respond(429, body, {}, 'discord')).toMatchObject({ cause: 'rate_limited', permanent: false, retryAfterMs: 64_570, pauseMs: 64_570 });
    // Discord also sends a rounded Retry-After header: the longer wait wins.
    expect(respond(429, JSON.stringify({ retry_after: 0.25 }), { 'retry-after': '1' }, 'discord').retryAfterMs).toBe(1000);
  });

  it('pauses on 429 from X-RateLimit-Reset-After when nothing else says how long', () => {
    expect(respond(429, '', { 'x-ratelimit-reset-after': '2.5' })).toMatchObject({ retryAfterMs: null, pauseMs: 2500 });
    expect(respond(429, '')).toMatchObject({ retryAfterMs: null, pauseMs: null });
  });

  it('paces a successful delivery when the rate-limit window is used up', () => {
    const headers = { 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset-After': '1.75' };
    expect(respond(204, '', headers, 'discord')).toMatchObject({ ok: true, cause: 'ok', pauseMs: 1750, retryAfterMs: null });
    expect(respond(204, '', { ...headers, 'X-RateLimit-Remaining': '3' }).pauseMs).toBeNull();
    expect(respond(204, '', { 'X-RateLimit-Remaining': '0' }).pauseMs).toBeNull();
  });

  it('reports the receiver\'s rate-limit window so the sender can stay inside it', () => {
    const headers = { 'X-RateLimit-Limit': '5', 'X-RateLimit-Remaining': '3', 'X-RateLimit-Reset-After': '1.5' };
    expect(respond(204, '', headers, 'discord').rateLimit).toEqual({ limit: 5, remaining: 3, resetAfterMs: 1500 });
    expect(respond(204, '', { ...headers, 'X-RateLimit-Limit': 'lots' }).rateLimit).toEqual({ limit: null, remaining: 3, resetAfterMs: 1500 });
    // Without both the count and the reset time there is no window to keep to.
    expect(respond(204, '', { 'X-RateLimit-Remaining': '3' }).rateLimit).toBeNull();
    expect(respond(204, '', { 'X-RateLimit-Remaining': '', 'X-RateLimit-Reset-After': '1' }).rateLimit).toBeNull();
  });
});

describe('classifyError', () => {
  const nodeError = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code });

  it.each<[string, Cause]>([
    ['ETIMEDOUT', 'timeout'],
    ['ESOCKETTIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EPROTO', 'tls'],
    ['ECONNREFUSED', 'connection'],
    ['ECONNRESET', 'connection'],
    ['EPIPE', 'connection'],
    ['EHOSTUNREACH', 'connection'],
    ['ENETUNREACH', 'connection'],
    ['HPE_INVALID_CONSTANT', 'invalid_response'],
    ['HPE_HEADER_OVERFLOW', 'invalid_response'],
    ['ERR_BLOCKED_ADDRESS', 'blocked_address'],
  ])('%s → %s (bare and wrapped by got)', (code, cause) => {
    const raw = nodeError(code);
    expect(classifyError(raw)).toMatchObject({ ok: false, cause, permanent: false, disableReason: null });
    const wrapped = new RequestError(raw.message, raw, {} as never);
    expect(wrapped.code).toBe(code);
    expect(classifyError(wrapped)).toMatchObject({ cause, permanent: false });
  });

  it('recognises got\'s TimeoutError', () => {
    const inner = Object.assign(new Error("Timeout awaiting 'request' for 10000ms"), { code: 'ETIMEDOUT', event: 'request' });
    const err = new TimeoutError(inner as never, {} as never, {} as never);
    expect(classifyError(err)).toMatchObject({ cause: 'timeout', message: "ETIMEDOUT: Timeout awaiting 'request' for 10000ms" });
    expect(classifyError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })).cause).toBe('timeout');
  });

  it('recognises a socket hang up without a code', () => {
    expect(classifyError(new Error('socket hang up')).cause).toBe('connection');
  });

  it('recognises a BlockedAddressError by class, through got and through a cause chain', () => {
    const blocked = new BlockedAddressError('evil.example', '10.0.0.1', 'a private');
    const outcome = classifyError(blocked);
    expect(outcome).toMatchObject({ cause: 'blocked_address', permanent: false });
    expect(outcome.message).toContain('evil.example (10.0.0.1)');
    expect(classifyError(new RequestError(blocked.message, blocked, {} as never)).cause).toBe('blocked_address');
    expect(classifyError(new Error('outer', { cause: new Error('middle', { cause: blocked }) })).cause).toBe('blocked_address');
  });

  it('classifies got\'s HTTPError by its response', () => {
    const err = Object.assign(new Error('Request failed with status code 410'), {
      code: 'ERR_NON_2XX_3XX_RESPONSE',
      response: { statusCode: 410, headers: {}, body: 'bye' },
    });
    expect(classifyError(err)).toMatchObject({ cause: 'gone', permanent: true });
  });

  it('prefixes the code to the message once', () => {
    expect(classifyError(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9')).message).toBe('connect ECONNREFUSED 127.0.0.1:9');
    expect(classifyError(nodeError('EPIPE', 'write failed')).message).toBe('EPIPE: write failed');
  });

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    for (const value of [undefined, null, 42, 'plain string', {}, [], hostile, Object.create(null)]) {
      const outcome = classifyError(value);
      expect(outcome.ok).toBe(false);
      expect(outcome.cause).toBe('connection');
      expect(typeof outcome.message).toBe('string');
    }
    expect(classifyError('plain string').message).toBe('plain string');
  });
});
