import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { MemoryRevocations, type RevocationList } from './session-revocations.js';
import type { Role } from './agents.js';

/** The admin session cookie's name. */
export const SESSION_COOKIE = 'lc_session';

/** How long a sign-in lasts: a working day, after which the admin signs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface AdminSession {
  /** Random id, 128 bits, base64url: what the CSRF token is bound to. */
  id: string;
  /** Epoch milliseconds after which the token is refused. */
  expiresAt: number;
  /** What this session may do (an API-key sign-in is an admin). */
  role: Role;
  /** The agent account signed in, or null for a sign-in with an API key. */
  agentId: number | null;
}

/** Who a new session is for. */
export type SessionSubject = Pick<AdminSession, 'role' | 'agentId'>;

/** An API-key sign-in: an admin that is no particular agent. */
export const API_KEY_SUBJECT: SessionSubject = Object.freeze({ role: 'admin', agentId: null });

/**
 * Admin sessions: the cookie is `v2.<id>.<expiry>.<role>.<agent id>.<mac>`, HMAC-SHA256 under a
 * key derived from the app key (a `v1.<id>.<expiry>.<mac>` cookie from before agent accounts is an
 * API-key admin's). Any instance sharing the app key accepts it, and it survives restarts, with no session
 * table. Sign-out puts the id on a revocation list until the expiry (shared through Redis when
 * instances have one, else this process's), so a copied cookie stops working too: `check()` is
 * the test every request uses; `verify()` alone only proves the cookie was issued by us. An agent's
 * session also ends when the account is removed (`agentExists`, asked on every check).
 *
 * CSRF tokens are an HMAC of the session id under a second derived key: they are useless without
 * the matching cookie and never need storing.
 *
 * @example
 * const tokens = new SessionTokens(loadAppKey(config.APP_KEY, config.DATA_DIR));
 * const { token, session } = tokens.issue();
 * (await tokens.check(token))?.id === session.id; // true until expiry or sign-out
 */
export class SessionTokens {
  readonly #sessionKey: Buffer;
  readonly #csrfKey: Buffer;
  readonly #revocations: RevocationList;

  constructor(
    appKey: Buffer,
    private readonly options: {
      ttlMs?: number;
      now?: () => number;
      revocations?: RevocationList;
      /** Whether the agent account still exists; without it, any agent id is taken on trust. */
      agentExists?: (agentId: number) => Promise<boolean>;
    } = {},
  ) {
    this.#revocations = options.revocations ?? new MemoryRevocations(() => this.#now());
    // Derived keys: the app key also encrypts webhook secrets, and a MAC must never share a key with that.
    this.#sessionKey = hmac(appKey, 'livechat admin session v1');
    this.#csrfKey = hmac(appKey, 'livechat admin csrf v1');
  }

  get ttlMs(): number {
    return this.options.ttlMs ?? SESSION_TTL_MS;
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** A new session and its cookie value; without a subject, an API-key admin's. */
  issue(subject: SessionSubject = API_KEY_SUBJECT): { token: string; session: AdminSession } {
    const session: AdminSession = { id: randomBytes(16).toString('base64url'), expiresAt: this.#now() + this.ttlMs, ...subject };
    const payload = `v2.${session.id}.${session.expiresAt.toString(36)}.${session.role === 'admin' ? 'a' : 'g'}.${(session.agentId ?? 0).toString(36)}`;
    return { token: `${payload}.${mac(this.#sessionKey, payload)}`, session };
  }

  /** The session a cookie value stands for, or null when it is forged, malformed or expired. */
  verify(token: unknown): AdminSession | null {
    if (typeof token !== 'string' || token.length > 200) return null;
    const match = /^((v1|v2)\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})(?:\.([ag])\.([0-9a-z]{1,8}))?)\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const [, payload, version, id, expiry, role, agent, signature] = match as unknown as (string | undefined)[];
    if ((version === 'v2') !== (role !== undefined)) return null;
    if (!safeEqual(signature!, mac(this.#sessionKey, payload!))) return null;
    const expiresAt = parseInt(expiry!, 36);
    if (!(expiresAt > this.#now())) return null;
    const agentId = agent === undefined ? 0 : parseInt(agent, 36);
    return { id: id!, expiresAt, role: role === 'g' ? 'agent' : 'admin', agentId: agentId > 0 ? agentId : null };
  }

  /** The session a cookie value stands for, or null when it is forged, malformed, expired or signed out. */
  async check(token: unknown): Promise<AdminSession | null> {
    const session = this.verify(token);
    if (!session || (await this.#revocations.isRevoked(session.id))) return null;
    if (session.agentId !== null && this.options.agentExists && !(await this.options.agentExists(session.agentId))) return null;
    return session;
  }

  /** Signs a session out on every instance that shares the revocation list. */
  async revoke(session: AdminSession): Promise<void> {
    await this.#revocations.revoke(session.id, session.expiresAt);
  }

  /** The CSRF token pages embed for this session. */
  csrfToken(session: AdminSession): string {
    return mac(this.#csrfKey, session.id);
  }

  /** Whether `token` is this session's CSRF token (constant-time). */
  verifyCsrf(session: AdminSession, token: unknown): boolean {
    return typeof token === 'string' && safeEqual(token, this.csrfToken(session));
  }
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function mac(key: Buffer, data: string): string {
  return hmac(key, data).toString('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
