import { randomBytes } from 'node:crypto';

/**
 * Names this engine's leases. A lease must outlive the longest attempt plus its recording, or
 * another process could send the row again: never shorter than the timeout plus 5 s.
 */
export class Leases {
  readonly ms: number;
  readonly #instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  #seq = 0;

  constructor(leaseMs: number, timeoutMs: number) {
    this.ms = Math.max(leaseMs, timeoutMs + 5000);
  }

  /** A fresh owner name: each claim presents its own when it completes. */
  owner(): string {
    return `${this.#instanceId}.${++this.#seq}`;
  }

  /** A lease taken now: rows inserted with it are this engine's to send until it runs out. */
  take(now: Date): { owner: string; until: Date } {
    return { owner: this.owner(), until: new Date(now.getTime() + this.ms) };
  }
}
