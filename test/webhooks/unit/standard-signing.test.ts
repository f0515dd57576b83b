import { randomBytes } from 'node:crypto';
import got from 'got';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createAddressGuard } from '../../../src/webhooks/http/address-guard.js';
import { Sender, type SendRequest } from '../../../src/webhooks/http/sender.js';
import { signStandard, standardKey, standardSignatureHeader } from '../../../src/webhooks/http/signing.js';
import { verifyStandardWebhook, verifyStandardWebhookDetailed } from '../../../src/webhooks/verify.js';
import { libraries, verifyWith } from '../engine/standard-libraries.js';

const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
const body = JSON.stringify({ event: 'message.received', delivery_id: id, data: { content: 'héllo ✓ 🎉' } });

describe('the Standard Webhooks signature', () => {
  it('matches the specification’s example', () => {
    expect(signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  // Which secrets `new Webhook(secret)` reads as whsec_ + base64 (the key is decoded) and which a
  // receiver must pass as raw bytes: the server's key must be the same bytes in both cases.
  const cases: [string, 'base64' | 'raw'][] = [
    ['whsec_' + randomBytes(32).toString('hex'), 'base64'], // what regenerate makes
    ['whsec_' + randomBytes(24).toString('base64'), 'base64'], // what svix makes
    ['whsec_' + randomBytes(20).toString('base64'), 'base64'], // padded
    ['whsec_abcde', 'base64'], // a partial last group, decoded as far as it goes
    ['whsec_abc', 'raw'], // too short for the library's decoder
    ['whsec_a===', 'raw'], // three padding characters
    ['whsec_not base64!', 'raw'],
    ['whsec_abc-def_ghi', 'raw'], // URL-safe alphabet: not the library's
    ['my-own-signing-secret', 'raw'],
    ['pässwörd 🔑 of mine', 'raw'],
  ];
  it.each(cases)('keys %s as the libraries do (%s)', (secret, kind) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandard(secret, id, timestamp, body) };
    const request = { body: Buffer.from(body), headers };
    const receiverKey = kind === 'base64' ? secret : Buffer.from(secret, 'utf8');
    for (const library of libraries) expect(verifyWith(library, receiverKey, request, { raw: kind === 'raw' })).toBe('ok');
    expect(standardKey(secret).equals(Buffer.from(secret, 'utf8'))).toBe(kind === 'raw');
    expect(verifyStandardWebhook(body, headers, secret)).toBe(true);
  });

  it('needs the bytes, not the string, for a non-ASCII typed secret: the raw option keeps one byte per UTF-16 unit of a string', () => {
    const secret = 'pässwörd 🔑 of mine';
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandard(secret, id, timestamp, body) };
    expect(verifyWith('standardwebhooks', secret, { body: Buffer.from(body), headers }, { raw: true })).toBe('No matching signature found');
    expect(verifyWith('standardwebhooks', Buffer.from(secret, 'utf8'), { body: Buffer.from(body), headers }, { raw: true })).toBe('ok');
  });

  it('puts one v1 entry per secret in the header, in order, each verifiable alone', () => {
    const [a, b] = ['whsec_' + randomBytes(32).toString('hex'), 'whsec_' + randomBytes(32).toString('hex')];
    const timestamp = 1_700_000_000;
    const header = standardSignatureHeader([a, b], id, timestamp, body);
    expect(header).toBe(`${signStandard(a, id, timestamp, body)} ${signStandard(b, id, timestamp, body)}`);
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    const now = new Date(timestamp * 1000);
    for (const secret of [a, b]) expect(verifyStandardWebhookDetailed(body, headers, secret, { now })).toEqual({ ok: true, reason: null });
    expect(new StandardWebhook(b).sign(id, now, body)).toBe(header.split(' ')[1]);
  });

  it('explains each refusal of verifyStandardWebhook', () => {
    const secret = 'whsec_' + randomBytes(32).toString('hex');
    const timestamp = 1_700_000_000;
    const now = new Date(timestamp * 1000);
    const good = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandard(secret, id, timestamp, body) };
    const check = (headers: Record<string, string>, options = { now }, raw: string = body, key = secret) => verifyStandardWebhookDetailed(raw, headers, key, options).reason;
    expect(check(good)).toBeNull();
    expect(check(good, { now }, body + ' ')).toBe('signature_mismatch');
    expect(check(good, { now }, body, 'whsec_' + randomBytes(32).toString('hex'))).toBe('signature_mismatch');
    expect(check({ ...good, 'webhook-id': 'another' })).toBe('signature_mismatch');
    expect(check(good, { now: new Date((timestamp + 301) * 1000) })).toBe('timestamp_outside_tolerance');
    expect(check(good, { now: new Date((timestamp - 301) * 1000) })).toBe('timestamp_outside_tolerance');
    expect(verifyStandardWebhookDetailed(body, good, secret, { now: new Date((timestamp + 301) * 1000), toleranceSeconds: 600 }).ok).toBe(true);
    expect(check({ ...good, 'webhook-signature': 'v2,abc v1,short' })).toBe('malformed_signature');
    expect(check({ 'webhook-id': id, 'webhook-timestamp': String(timestamp) })).toBe('missing_signature');
    expect(check({ ...good, 'webhook-id': '' })).toBe('missing_id');
    expect(check({ ...good, 'webhook-timestamp': 'yesterday' })).toBe('invalid_timestamp');
    expect(check(good, { now }, body, '')).toBe('missing_secret');
  });
});

describe('the headers of one attempt', () => {
  const guard = createAddressGuard([]);
  const sender = new Sender({ got, guard, timeoutMs: 1000, userAgent: 'test/1' });
  const request = (over: Partial<SendRequest> = {}): SendRequest => ({
    url: 'https://receiver.example/hook', body, event: 'message.received', deliveryId: id, secret: 'whsec_' + 'ab'.repeat(32), isTest: false, format: 'json', ...over,
  });
  const at = new Date('2025-03-01T12:00:05.750Z');

  it('carry webhook-id, the attempt’s whole second and one signature per valid secret', () => {
    const headers = sender.headersFor(request(), at);
    expect(headers['webhook-id']).toBe(id);
    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2025-03-01T12:00:05Z') / 1000));
    expect(headers['x-webhook-timestamp']).toBe(at.toISOString());
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(1);

    const previousSecret = { secret: 'the old one, typed', expiresAt: new Date(at.getTime() + 1) };
    expect(sender.headersFor(request({ previousSecret }), at)['webhook-signature']!.split(' ')).toHaveLength(2);
    // At its expiry the old secret stops.
    expect(sender.headersFor(request({ previousSecret }), previousSecret.expiresAt)['webhook-signature']!.split(' ')).toHaveLength(1);
    const unsigned = sender.headersFor(request({ secret: null, previousSecret }), at);
    expect(unsigned['webhook-signature']).toBeUndefined();
    expect(unsigned['webhook-id']).toBe(id);
  });
});
