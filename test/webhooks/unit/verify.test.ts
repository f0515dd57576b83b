import { signPayload } from '../../../src/webhooks/http/signing.js';
import { verifyWebhook, verifyWebhookDetailed } from '../../../src/webhooks/verify.js';
import * as packageMain from '../../../src/index.js';

const secret = 'whsec_3f1c5a7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a';
const body = JSON.stringify({
  event: 'message.received',
  delivery_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  timestamp: '2025-03-01T12:00:00.000Z',
  data: { content: 'héllo ✓' },
});
const sentAt = '2025-03-01T12:00:05.000Z';
const headersFor = (raw: string | Buffer, key = secret): Record<string, string> => ({
  'content-type': 'application/json',
  'x-webhook-event': 'message.received',
  'x-webhook-delivery': '0f8fad5b-d9cb-469f-a165-70867728950e',
  'x-webhook-timestamp': sentAt,
  'x-webhook-signature': signPayload(key, raw),
});

describe('verifyWebhook', () => {
  it('accepts a body signed with the secret, as a string or as the raw Buffer', () => {
    expect(verifyWebhook(body, headersFor(body), secret)).toBe(true);
    expect(verifyWebhook(Buffer.from(body), headersFor(body), secret)).toBe(true);
    expect(verifyWebhookDetailed(body, headersFor(body), secret)).toEqual({ ok: true, reason: null });
  });

  it('is exported as the package entry point', () => {
    expect(packageMain.verifyWebhook).toBe(verifyWebhook);
    expect(packageMain.verifyWebhookDetailed).toBe(verifyWebhookDetailed);
  });

  it('refuses a tampered body, including one byte or re-serialised JSON', () => {
    const headers = headersFor(body);
    expect(verifyWebhookDetailed(body.replace('héllo', 'hello'), headers, secret)).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhook(`${body} `, headers, secret)).toBe(false);
    expect(verifyWebhook(JSON.stringify(JSON.parse(body), null, 2), headers, secret)).toBe(false);
  });

  it('refuses a wrong secret', () => {
    expect(verifyWebhookDetailed(body, headersFor(body, 'whsec_other'), secret)).toEqual({ ok: false, reason: 'signature_mismatch' });
    expect(verifyWebhookDetailed(body, headersFor(body), '')).toEqual({ ok: false, reason: 'missing_secret' });
  });

  it('refuses a missing or malformed signature header', () => {
    const { 'x-webhook-signature': _dropped, ...unsigned } = headersFor(body);
    expect(verifyWebhookDetailed(body, unsigned, secret)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verifyWebhookDetailed(body, { ...unsigned, 'x-webhook-signature': 'abc' }, secret)).toEqual({ ok: false, reason: 'malformed_signature' });
    expect(verifyWebhookDetailed(body, { ...unsigned, 'x-webhook-signature': 'z'.repeat(64) }, secret).reason).toBe('malformed_signature');
    expect(verifyWebhook(body, {}, secret)).toBe(false);
  });

  it('reads header names case-insensitively, from a plain object or a fetch Headers', () => {
    const sig = signPayload(secret, body);
    expect(verifyWebhook(body, { 'X-Webhook-Signature': sig }, secret)).toBe(true);
    expect(verifyWebhook(body, { 'X-WEBHOOK-SIGNATURE': [sig] }, secret)).toBe(true);
    expect(verifyWebhook(body, new Headers({ 'X-Webhook-Signature': sig }), secret)).toBe(true);
    expect(verifyWebhook(body, { 'x-webhook-signature': ` ${sig.toUpperCase()} ` }, secret)).toBe(true);
  });

  it('applies the timestamp tolerance when asked', () => {
    const headers = headersFor(body);
    const at = (iso: string) => ({ toleranceSeconds: 300, now: new Date(iso) });
    expect(verifyWebhookDetailed(body, headers, secret, at('2025-03-01T12:04:00.000Z'))).toEqual({ ok: true, reason: null });
    expect(verifyWebhookDetailed(body, headers, secret, at('2025-03-01T12:10:00.000Z'))).toEqual({ ok: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhookDetailed(body, headers, secret, at('2025-03-01T11:50:00.000Z')).reason).toBe('timestamp_outside_tolerance');
    const { 'x-webhook-timestamp': _t, ...noStamp } = headers;
    expect(verifyWebhookDetailed(body, noStamp, secret, at('2025-03-01T12:00:00.000Z')).reason).toBe('missing_timestamp');
    expect(verifyWebhookDetailed(body, { ...noStamp, 'x-webhook-timestamp': 'yesterday' }, secret, at('2025-03-01T12:00:00.000Z')).reason).toBe(
      'invalid_timestamp',
    );
    // Without a tolerance an old delivery still verifies: de-duplicate by X-Webhook-Delivery instead.
    expect(verifyWebhook(body, headers, secret, { now: new Date('2030-01-01T00:00:00Z') })).toBe(true);
  });

  it('says so when given a parsed object instead of the raw body, and never throws', () => {
    const parsed = JSON.parse(body) as unknown as string;
    expect(verifyWebhookDetailed(parsed, headersFor(body), secret)).toEqual({ ok: false, reason: 'invalid_body' });
    expect(verifyWebhook(body, null as never, secret)).toBe(false);
    expect(verifyWebhook(undefined as never, undefined as never, undefined as never)).toBe(false);
  });
});
