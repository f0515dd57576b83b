/**
 * A message's local id, also its `client_message_id`: unique per visitor is enough, so a UUID
 * where the page offers one (secure contexts), else 128 random bits from getRandomValues, else
 * (very old browsers) the time and Math.random.
 */
export function newClientId(cryptoApi: Partial<Pick<Crypto, 'randomUUID' | 'getRandomValues'>> | null = globalThis.crypto ?? null): string {
  if (typeof cryptoApi?.randomUUID === 'function') return cryptoApi.randomUUID();
  if (typeof cryptoApi?.getRandomValues === 'function') {
    return Array.from(cryptoApi.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  }
  return Date.now().toString(36) + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}
