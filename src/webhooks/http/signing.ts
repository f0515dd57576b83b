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
