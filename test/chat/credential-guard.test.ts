import { CredentialGuard, failureBucket, keyPrefixOf } from '../../src/auth/credential-guard.js';

const REAL_KEY = 'lck_RealKeyPrefix-and-then-many-random-characters';
const known = async (prefix: string) => prefix === REAL_KEY.slice(0, 10);

describe('credential guard', () => {
  it('names a key by its first 10 characters, and nothing shorter than a key', () => {
    expect(keyPrefixOf(REAL_KEY)).toBe('lck_RealKe');
    expect([keyPrefixOf('short'), keyPrefixOf(undefined), keyPrefixOf(42), keyPrefixOf('x'.repeat(300))]).toEqual([null, null, null, null]);
  });

  it('counts blind guesses against the address, guesses at a real key against (address, key), and writes no key text', () => {
    expect(failureBucket('198.51.100.1', 'lck_zzzzzz', false)).toBe('ip:198.51.100.1');
    expect(failureBucket('198.51.100.1', null, false)).toBe('ip:198.51.100.1');
    const bucket = failureBucket('198.51.100.1', 'lck_RealKe', true);
    expect(bucket).toMatch(/^key:198\.51\.100\.1:[A-Za-z0-9_-]{16}$/);
    expect(bucket).not.toContain('RealKe');
    expect(failureBucket('198.51.100.2', 'lck_RealKe', true)).not.toBe(bucket);
  });

  it('locks out a blind guesser but not the right key from the same address', async () => {
    const guard = new CredentialGuard('t1', { maxFailures: 3, windowSeconds: 60 }, known);
    for (let i = 0; i < 3; i++) {
      const attempt = await guard.admit('203.0.113.5', `lck_guess${i}-0123456789abcdef`);
      expect(attempt.retryAfterSeconds).toBeNull();
      await attempt.failed();
    }
    expect((await guard.admit('203.0.113.5', 'lck_guess9-0123456789abcdef')).retryAfterSeconds).toBeGreaterThan(0);
    expect((await guard.admit('203.0.113.5', undefined)).retryAfterSeconds).toBeGreaterThan(0);
    expect((await guard.admit('203.0.113.5', REAL_KEY)).retryAfterSeconds).toBeNull();
  });

  it('locks out a guesser who knows a key prefix, whether its next guess is right or not (no oracle)', async () => {
    const guard = new CredentialGuard('t2', { maxFailures: 3, windowSeconds: 60 }, known);
    for (let i = 0; i < 3; i++) await (await guard.admit('203.0.113.6', `${REAL_KEY.slice(0, 10)}-wrong-${i}-0123456789`)).failed();
    expect((await guard.admit('203.0.113.6', REAL_KEY)).retryAfterSeconds).toBeGreaterThan(0);
    // Another address holding the key is unaffected.
    expect((await guard.admit('203.0.113.7', REAL_KEY)).retryAfterSeconds).toBeNull();
  });
});
