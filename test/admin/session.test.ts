import { randomBytes } from 'node:crypto';
import { SessionTokens, SESSION_TTL_MS } from '../../src/auth/session.js';
import { MemoryRevocations } from '../../src/auth/session-revocations.js';

describe('SessionTokens', () => {
  const key = randomBytes(32);
  let now = Date.parse('2030-01-01T00:00:00Z');
  const tokens = new SessionTokens(key, { now: () => now });

  it('verifies the tokens it issues, with the same session id and a 12 h expiry', () => {
    const { token, session } = tokens.issue();
    expect(tokens.verify(token)).toEqual(session);
    expect(session.expiresAt - now).toBe(SESSION_TTL_MS);
    expect(tokens.issue().session.id).not.toBe(session.id);
  });

  it('refuses a token once it has expired', () => {
    const { token, session } = tokens.issue();
    const issuedAt = now;
    now = session.expiresAt - 1;
    expect(tokens.verify(token)).not.toBeNull();
    now = session.expiresAt;
    expect(tokens.verify(token)).toBeNull();
    now = issuedAt;
  });

  it('refuses any change to the id, the expiry or the signature', () => {
    const { token } = tokens.issue();
    const [v, id, expiry, mac] = token.split('.') as [string, string, string, string];
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect(tokens.verify([v, flip(id), expiry, mac].join('.'))).toBeNull();
    expect(tokens.verify([v, id, (parseInt(expiry, 36) + 1000 * 3600 * 24 * 365).toString(36), mac].join('.'))).toBeNull();
    expect(tokens.verify([v, id, expiry, flip(mac)].join('.'))).toBeNull();
    expect(tokens.verify(['v2', id, expiry, mac].join('.'))).toBeNull();
  });

  it('refuses tokens signed with another app key', () => {
    const other = new SessionTokens(randomBytes(32), { now: () => now });
    expect(tokens.verify(other.issue().token)).toBeNull();
  });

  it('accepts a token issued by another instance sharing the app key (restarts, several servers)', () => {
    const sibling = new SessionTokens(Buffer.from(key), { now: () => now });
    const { token, session } = sibling.issue();
    expect(tokens.verify(token)).toEqual(session);
    expect(tokens.verifyCsrf(session, sibling.csrfToken(session))).toBe(true);
  });

  it.each([undefined, null, 42, '', 'v1', 'v1.a.b.c', 'x'.repeat(5000), {}])('treats %p as no session', (value) => {
    expect(tokens.verify(value)).toBeNull();
  });

  it('binds the CSRF token to its session', () => {
    const a = tokens.issue().session;
    const b = tokens.issue().session;
    expect(tokens.verifyCsrf(a, tokens.csrfToken(a))).toBe(true);
    expect(tokens.verifyCsrf(a, tokens.csrfToken(b))).toBe(false);
    expect(tokens.verifyCsrf(a, undefined)).toBe(false);
    expect(tokens.verifyCsrf(a, '')).toBe(false);
    expect(tokens.verifyCsrf(a, tokens.csrfToken(a).slice(1))).toBe(false);
  });

  it('never uses the session signature as the CSRF token', () => {
    const { token, session } = tokens.issue();
    expect(token.split('.')[3]).not.toBe(tokens.csrfToken(session));
  });

  it('refuses a signed-out session from then on, and only that one (without Redis: this process)', async () => {
    const signedOut = tokens.issue();
    const other = tokens.issue();
    expect(await tokens.check(signedOut.token)).toEqual(signedOut.session);
    await tokens.revoke(signedOut.session);
    expect(await tokens.check(signedOut.token)).toBeNull();
    expect(await tokens.check(other.token)).toEqual(other.session);
    // The signature is still ours: only the revocation list tells it apart.
    expect(tokens.verify(signedOut.token)).toEqual(signedOut.session);
  });
});

describe('MemoryRevocations', () => {
  it('forgets an id once its session would have expired anyway', async () => {
    let now = 1_000;
    const list = new MemoryRevocations(() => now);
    await list.revoke('a', 2_000);
    expect(await list.isRevoked('a')).toBe(true);
    expect(await list.isRevoked('b')).toBe(false);
    now = 2_000;
    expect(await list.isRevoked('a')).toBe(false);
  });
});
