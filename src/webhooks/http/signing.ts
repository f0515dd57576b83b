import { createHmac } from 'node:crypto';

/**
 * The X-Webhook-Signature value (SPEC §6): lowercase hex HMAC-SHA256 of the exact body bytes.
 * Sign the bytes that are sent, never a re-serialisation: receivers verify the raw body.
 *
 * @example signPayload('Jefe', 'what do ya want for nothing?') // '5bdcc146…64ec3843' (RFC 4231 case 2)
 */
export function signPayload(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

const WHSEC = 'whsec_';

/**
 * The HMAC key of the Standard Webhooks signature, as `new Webhook(secret)` of the `standardwebhooks`
 * and `svix` libraries reads a secret: `whsec_` + base64 is the base64-decoded key. Any other secret
 * (one an admin typed) is its UTF-8 bytes, which a receiver passes with the libraries' raw option.
 * The base64 rule is theirs (@stablelib/base64): standard alphabet, at most two `=` at the end, at
 * least four characters; a partial last group decodes as far as it goes.
 *
 * @example standardKey('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') // the 24 bytes that base64 decodes to
 * @example standardKey('my typed secret') // Buffer.from('my typed secret', 'utf8')
 */
export function standardKey(secret: string): Buffer {
  if (secret.startsWith(WHSEC)) {
    const text = secret.slice(WHSEC.length);
    const match = /^([A-Za-z0-9+/]*)={0,2}$/.exec(text);
    if (match && text.length >= 4) {
      const key = Buffer.from(match[1]!, 'base64');
      if (key.length > 0) return key;
    }
  }
  return Buffer.from(secret, 'utf8');
}

/**
 * One Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` under
 * standardKey(secret). `timestamp` is integer Unix seconds, as in the `webhook-timestamp` header.
 *
 * @example signStandard('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
 * // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' (the Standard Webhooks specification's example)
 */
export function signStandard(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', standardKey(secret)).update(`${id}.${timestamp}.`).update(body);
  return `v1,${mac.digest('base64')}`;
}

/**
 * The `webhook-signature` header: one `v1,…` per secret, space-separated, in the order given
 * (the current secret first, then one still valid during a rotation overlap).
 */
export function standardSignatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string | Buffer): string {
  return secrets.map((secret) => signStandard(secret, id, timestamp, body)).join(' ');
}
