import { AccountGuard, ACCOUNT_SPREAD } from '../../src/auth/account-guard.js';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { SessionTokens } from '../../src/auth/session.js';

describe('agent passwords (scrypt)', () => {
  it('hashes with a fresh salt each time and verifies only the right password', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('treats a malformed or hostile stored hash as no match, never as an error', async () => {
    for (const stored of ['', 'plain', 'scrypt$1$1$1$AA$AA', 'scrypt$99999999$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'bcrypt$x$y$z$a$b']) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
  });

  it('reads the same password typed in another Unicode form', async () => {
    expect(await verifyPassword('Cafe\u0301 au lait!', await hashPassword('Café au lait!'))).toBe(true);
  });
});

describe('AccountGuard', () => {
  const limit = { maxFailures: 3, windowSeconds: 60 };
  const known = async (email: string) => email === 'ana@example.com';

  it('holds one address to the limit at one account, without touching the account elsewhere', async () => {
    const guard = new AccountGuard(limit, known);
    for (let i = 0; i < 3; i++) await (await guard.admit('1.1.1.1', 'ana@example.com')).failed();
    expect((await guard.admit('1.1.1.1', 'ana@example.com')).retryAfterSeconds).toBeGreaterThan(0);
    expect((await guard.admit('2.2.2.2', 'ana@example.com')).retryAfterSeconds).toBeNull();
    // Blind guesses from the locked address at unknown emails are counted on their own.
    expect((await guard.admit('1.1.1.1', 'bob@example.com')).retryAfterSeconds).toBeNull();
  });

  it('locks an account guessed at from many addresses, and an address guessing blindly', async () => {
    const guard = new AccountGuard(limit, known);
    for (let ip = 0; ip < ACCOUNT_SPREAD; ip++) for (let i = 0; i < 3; i++) await (await guard.admit(`10.0.0.${ip}`, 'ana@example.com')).failed();
    expect((await guard.admit('10.9.9.9', 'ana@example.com')).retryAfterSeconds).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await (await guard.admit('3.3.3.3', `nobody${i}@example.com`)).failed();
    expect((await guard.admit('3.3.3.3', 'nobody9@example.com')).retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('sessions with roles', () => {
  const key = Buffer.alloc(32, 7);
  it('carries the role and agent id, signed, and ends when the account is gone', async () => {
    let exists = true;
    const tokens = new SessionTokens(key, { agentExists: async () => exists });
    const { token } = tokens.issue({ role: 'agent', agentId: 42 });
    expect(await tokens.check(token)).toMatchObject({ role: 'agent', agentId: 42 });
    // Changing the role in the cookie breaks its MAC.
    expect(tokens.verify(token.replace('.g.', '.a.'))).toBeNull();
    exists = false;
    expect(await tokens.check(token)).toBeNull();
  });

  it('reads an API-key session as an admin without an agent, old v1 cookies included', async () => {
    const tokens = new SessionTokens(key);
    expect(await tokens.check(tokens.issue().token)).toMatchObject({ role: 'admin', agentId: null });
    const { createHmac } = await import('node:crypto');
    const sessionKey = createHmac('sha256', key).update('livechat admin session v1').digest();
    const payload = `v1.${'A'.repeat(22)}.${(Date.now() + 60_000).toString(36)}`;
    const v1 = `${payload}.${createHmac('sha256', sessionKey).update(payload).digest('base64url')}`;
    expect(await tokens.check(v1)).toMatchObject({ role: 'admin', agentId: null });
  });
});
