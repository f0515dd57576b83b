import { createHash } from 'node:crypto';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiters, type LimiterFactory } from '../redis/limiters.js';

export interface GuardLimit {
  /** Failed attempts one bucket may make per window before it is refused. */
  maxFailures: number;
  windowSeconds: number;
}

/** Characters of a key that name it (the `key_prefix` stored with each key, shown in listings). */
export const KEY_PREFIX_LENGTH = 10;

/** The prefix that names the key a credential claims to be, or null when it claims none. */
export function keyPrefixOf(key: unknown): string | null {
  return typeof key === 'string' && key.length >= 16 && key.length <= 256 ? key.slice(0, KEY_PREFIX_LENGTH) : null;
}

/**
 * The bucket a failed attempt counts against. A guess at a real key (its prefix is one of ours)
 * counts against that key from that address; anything else is blind guessing and counts against
 * the address. The prefix is hashed: no part of a key is written to Redis.
 */
export function failureBucket(ip: string, prefix: string | null, prefixIsKnown: boolean): string {
  if (prefix === null || !prefixIsKnown) return `ip:${ip}`;
  return `key:${ip}:${createHash('sha256').update(prefix).digest('base64url').slice(0, 16)}`;
}

/** One attempt's verdict: refuse it unseen (429), or check the key and report how that went. */
export interface Attempt {
  /** Set when the attempt must be refused without looking at the key. */
  retryAfterSeconds: number | null;
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

/**
 * Slows down key guessing without letting a guesser lock the admins out.
 *
 * Counting failures per address alone has two faults: every client behind one proxy shares an
 * address (TRUST_PROXY off), so a guesser there locks everyone out, admins with the right key
 * included; and where the address is believed from X-Forwarded-For, a guesser that varies it is
 * never counted (TRUST_PROXY=N counters that). Letting a correct key through a locked address
 * would fix the first, but then the lock answers 429 for wrong keys and 200 for the right one:
 * an oracle that checks every guess at full speed, which is no lock at all.
 *
 * So a refusal must never depend on whether the key is right, only on what the attempt claims to
 * be. A key's first 10 characters name it (`key_prefix`, not a secret: listings show it). A
 * failure with the prefix of a real key counts against (address, that key); any other failure
 * counts against the address. A locked address is refused for unknown prefixes, while a
 * credential naming a real key is still checked, up to the limit for that key from that address.
 * An innocent admin behind the guesser's proxy gets in; the guesser, who does not know a key's
 * prefix, stays locked out, and one who does is held to the same limit on that key. The one
 * thing a locked address learns is whether a 10-character prefix exists (429 against 401), which
 * leaves the 200+ random bits after it to guess at the per-key rate.
 */
export class CredentialGuard {
  readonly #limiter: RateLimiterAbstract;

  constructor(
    name: string,
    private readonly limit: GuardLimit,
    private readonly isKnownPrefix: (prefix: string) => Promise<boolean>,
    limiters: LimiterFactory = memoryLimiters,
  ) {
    this.#limiter = limiters({ keyPrefix: `auth-${name}`, points: limit.maxFailures, duration: limit.windowSeconds });
  }

  /** Decides on an attempt from `ip` presenting `key`, before the key is looked at. */
  async admit(ip: string, key: unknown): Promise<Attempt> {
    const prefix = keyPrefixOf(key);
    let known: Promise<boolean> | undefined;
    const isKnown = () => (known ??= prefix === null ? Promise.resolve(false) : this.isKnownPrefix(prefix));
    const [byIp, byKey] = await Promise.all([
      this.#limiter.get(failureBucket(ip, null, false)),
      prefix === null ? null : this.#limiter.get(failureBucket(ip, prefix, true)),
    ]);
    const over = (state: RateLimiterRes | null) => state !== null && state.consumedPoints >= this.limit.maxFailures;
    const refusal = over(byKey) ? byKey : over(byIp) && !(await isKnown()) ? byIp : null;
    return {
      retryAfterSeconds: refusal ? Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) : null,
      failed: async () => {
        await this.#limiter.penalty(failureBucket(ip, prefix, await isKnown()), 1);
      },
      succeeded: async () => {
        if (byKey && byKey.consumedPoints > 0) await this.#limiter.delete(failureBucket(ip, prefix, true));
      },
    };
  }
}
