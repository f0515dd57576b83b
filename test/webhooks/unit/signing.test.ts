import { createHmac } from 'node:crypto';
import { signPayload } from '../../../src/webhooks/http/signing.js';

describe('signPayload', () => {
  it('matches the RFC 4231 HMAC-SHA256 vectors', () => {
    // RFC 4231 test case 2.
    expect(signPayload('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('signs the empty body with a known value', () => {
    expect(signPayload('key', '')).toBe('5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0');
  });

  it('signs a string and the same bytes as a Buffer identically, in lowercase hex', () => {
    const body = '{"event":"message.received","data":{"content":"héllo ✓"}}';
    const sig = signPayload('whsec_abc', body);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(signPayload('whsec_abc', Buffer.from(body, 'utf8'))).toBe(sig);
    expect(sig).toBe(createHmac('sha256', 'whsec_abc').update(Buffer.from(body)).digest('hex'));
  });

  it('changes with the secret and with a single byte of the body', () => {
    const sig = signPayload('s1', '{"a":1}');
    expect(signPayload('s2', '{"a":1}')).not.toBe(sig);
    expect(signPayload('s1', '{"a":2}')).not.toBe(sig);
    expect(signPayload('s1', '{"a":1} ')).not.toBe(sig);
  });
});
