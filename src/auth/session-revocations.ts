import type { RedisLink } from '../redis/link.js';

/**
 * Signed-out session ids, kept until the session would have expired anyway (after that the
 * cookie's own expiry refuses it). A deny list rather than a table of live sessions: a sign-in
 * writes nothing, so instances never need Redis to let an admin in.
 */
export interface RevocationList {
  revoke(id: string, expiresAt: number): Promise<void>;
  isRevoked(id: string): Promise<boolean>;
}

/** This process's sign-outs: without Redis, the instance that signed out refuses the cookie. */
export class MemoryRevocations implements RevocationList {
  readonly #ids = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async revoke(id: string, expiresAt: number): Promise<void> {
    const now = this.now();
    for (const [known, until] of this.#ids) if (until <= now) this.#ids.delete(known);
    this.#ids.set(id, expiresAt);
  }

  async isRevoked(id: string): Promise<boolean> {
    const until = this.#ids.get(id);
    return until !== undefined && until > this.now();
  }
}

/**
 * Sign-outs shared through Redis (`<namespace>session-revoked:<id>`, expiring with the session),
 * so every instance refuses a signed-out cookie. This instance also remembers its own sign-outs,
 * which keeps them refused here while Redis is away; a sign-out that could not reach Redis is
 * written there when it returns. While Redis is away the other instances cannot learn of new
 * sign-outs and accept those cookies until then: refusing every session instead would lock all
 * agents out of the console for the length of an outage.
 */
export class RedisRevocations implements RevocationList {
  readonly #local: MemoryRevocations;
  readonly #unsent = new Map<string, number>();

  constructor(private readonly link: RedisLink, private readonly now: () => number = Date.now) {
    this.#local = new MemoryRevocations(now);
    link.onRecover(() => void this.#flush());
  }

  #key(id: string): string {
    return `${this.link.namespace}session-revoked:${id}`;
  }

  async revoke(id: string, expiresAt: number): Promise<void> {
    await this.#local.revoke(id, expiresAt);
    this.#unsent.set(id, expiresAt);
    await this.#flush();
  }

  async isRevoked(id: string): Promise<boolean> {
    if (await this.#local.isRevoked(id)) return true;
    try {
      return (await this.link.client.exists(this.#key(id))) > 0;
    } catch {
      return false;
    }
  }

  async #flush(): Promise<void> {
    for (const [id, expiresAt] of this.#unsent) {
      const ttl = expiresAt - this.now();
      try {
        if (ttl > 0) await this.link.client.set(this.#key(id), '1', { PX: ttl });
        this.#unsent.delete(id);
      } catch {
        return;
      }
    }
  }
}
