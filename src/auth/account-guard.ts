import { createHash } from 'node:crypto';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { memoryLimiters, type LimiterFactory } from '../redis/limiters.js';
import type { Attempt, GuardLimit } from './credential-guard.js';

/** How many times the per-address limit one account takes from all addresses together. */
export const ACCOUNT_SPREAD = 5;

const hashed = (email: string) => createHash('sha256').update(email).digest('base64url').slice(0, 16);

/**
 * Slows down password guessing (the email + password sign-in), in the spirit of CredentialGuard.
 * Failures at an email that has no account count against the address (blind guessing). Failures
 * at a real account count twice: against (address, account), so one guesser is held to the limit,
 * and against the account from every address together at ACCOUNT_SPREAD times that, so a
 * guesser spread over many addresses (a botnet, or X-Forwarded-For believed) is held too.
 *
 * A refusal never depends on whether the password is right, only on the email it names: the
 * answer is 429 before the password is looked at. The price of the per-account count is that a
 * determined guesser can keep one account locked for its window; its owner's other way in is an
 * admin with an API key, and the lock lifts when the window passes.
 */
export class AccountGuard {
  readonly #byAddress: RateLimiterAbstract;
  readonly #byAccount: RateLimiterAbstract;

  constructor(
    private readonly limit: GuardLimit,
    private readonly isKnownEmail: (email: string) => Promise<boolean>,
    limiters: LimiterFactory = memoryLimiters,
  ) {
    this.#byAddress = limiters({ keyPrefix: 'auth-password', points: limit.maxFailures, duration: limit.windowSeconds });
    this.#byAccount = limiters({ keyPrefix: 'auth-account', points: limit.maxFailures * ACCOUNT_SPREAD, duration: limit.windowSeconds });
  }

  /** Decides on an attempt from `ip` at `email`, before the password is looked at. */
  async admit(ip: string, email: string): Promise<Attempt> {
    const account = hashed(email);
    const known = await this.isKnownEmail(email);
    const pairKey = `acct:${ip}:${account}`;
    const [byIp, byPair, byAccount] = await Promise.all([
      this.#byAddress.get(`ip:${ip}`),
      known ? this.#byAddress.get(pairKey) : null,
      known ? this.#byAccount.get(account) : null,
    ]);
    const over = (state: RateLimiterRes | null, max: number) => state !== null && state.consumedPoints >= max;
    const refusal =
      over(byAccount, this.limit.maxFailures * ACCOUNT_SPREAD) ? byAccount
      : over(byPair, this.limit.maxFailures) ? byPair
      : !known && over(byIp, this.limit.maxFailures) ? byIp
      : null;
    return {
      retryAfterSeconds: refusal ? Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)) : null,
      failed: async () => {
        if (!known) return void (await this.#byAddress.penalty(`ip:${ip}`, 1));
        await Promise.all([this.#byAddress.penalty(pairKey, 1), this.#byAccount.penalty(account, 1)]);
      },
      succeeded: async () => {
        if (byPair && byPair.consumedPoints > 0) await this.#byAddress.delete(pairKey);
      },
    };
  }
}
