/**
 * In-process concurrency caps for attempts: at most `total` HTTP exchanges in flight, at most
 * `perKey` to one webhook, none to a webhook that asked us to pause (429, X-RateLimit-Remaining: 0),
 * and at most `maxUnrecorded` attempts sent but not yet written to the database (each may hold a
 * 64 KiB answer). A hanging endpoint fills only its own slots, never everyone's; a slow database
 * slows sending only once that many attempts wait to be written.
 */
export class AttemptLimiter {
  #inFlight = 0;
  #unrecorded = 0;
  readonly #perKey = new Map<number, number>();
  readonly #pausedUntil = new Map<number, number>();
  /** What a webhook's receiver said of its rate-limit window: requests left, and when it resets. */
  readonly #budgets = new Map<number, { remaining: number; resetAtMs: number; limit: number | null; windowMs: number }>();

  constructor(
    readonly total: number,
    readonly perKey: number,
    readonly maxUnrecorded: number = total * 4,
  ) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Attempts that may start now, in all. */
  get free(): number {
    return Math.max(0, Math.min(this.total - this.#inFlight, this.maxUnrecorded - this.#unrecorded));
  }

  /** Takes a slot for `key`; false when the total or the key's cap is reached or the key is paused. */
  tryAcquire(key: number, nowMs: number): boolean {
    if (this.free === 0 || !this.accepts(key, nowMs)) return false;
    this.#inFlight++;
    this.#unrecorded++;
    this.#perKey.set(key, (this.#perKey.get(key) ?? 0) + 1);
    this.#spend(key, nowMs);
    return true;
  }

  /**
   * Records the receiver's window (X-RateLimit-Remaining / Reset-After / Limit). Requests still in
   * flight to it will spend from what is left too, so they are counted against it now.
   */
  setBudget(key: number, window: { remaining: number; resetAfterMs: number; limit: number | null }, nowMs: number): void {
    const othersInFlight = Math.max(0, (this.#perKey.get(key) ?? 0) - 1);
    const remaining = Math.max(0, window.remaining - othersInFlight);
    const resetAtMs = nowMs + window.resetAfterMs;
    this.#budgets.set(key, { remaining, resetAtMs, limit: window.limit, windowMs: window.resetAfterMs });
    if (remaining === 0) this.pause(key, resetAtMs);
  }

  /** When the key is paused, until when (ms); 0 otherwise. */
  pausedUntil(key: number, nowMs: number): number {
    return this.isPaused(key, nowMs) ? (this.#pausedUntil.get(key) ?? 0) : 0;
  }

  /** One request from the key's window; the last one pauses the key until the window resets. */
  #spend(key: number, nowMs: number): void {
    const budget = this.#budgets.get(key);
    if (!budget) return;
    if (nowMs >= budget.resetAtMs) {
      // A new window: as large as the last one the receiver announced, until it says otherwise.
      if (budget.limit === null) return void this.#budgets.delete(key);
      budget.remaining = budget.limit;
      budget.resetAtMs = nowMs + budget.windowMs;
    }
    budget.remaining--;
    if (budget.remaining <= 0) this.pause(key, budget.resetAtMs);
  }

  /** Gives back a slot whose attempt never started. */
  release(key: number): void {
    this.sent(key);
    this.recorded();
  }

  /** The HTTP exchange is over: frees the key's slot and the slot in the total; the attempt still counts as unrecorded. */
  sent(key: number): void {
    const n = (this.#perKey.get(key) ?? 1) - 1;
    if (n > 0) this.#perKey.set(key, n);
    else this.#perKey.delete(key);
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** The attempt is written to the database (or given up). */
  recorded(): void {
    this.#unrecorded = Math.max(0, this.#unrecorded - 1);
  }

  /** Whether `key` has a free slot and is not paused (ignores the total). */
  accepts(key: number, nowMs: number): boolean {
    return (this.#perKey.get(key) ?? 0) < this.perKey && !this.isPaused(key, nowMs);
  }

  pause(key: number, untilMs: number): void {
    if (untilMs > (this.#pausedUntil.get(key) ?? 0)) this.#pausedUntil.set(key, untilMs);
  }

  isPaused(key: number, nowMs: number): boolean {
    const until = this.#pausedUntil.get(key);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.#pausedUntil.delete(key);
    return false;
  }

  /**
   * How many attempts `key` could start now, ignoring the total (its free slots, bounded by what is
   * left of its rate-limit window), and whether taking them all would pause it. Reads, changes nothing.
   */
  share(key: number, nowMs: number): { slots: number; pausesAfter: boolean } {
    if (this.isPaused(key, nowMs)) return { slots: 0, pausesAfter: true };
    const free = Math.max(0, this.perKey - (this.#perKey.get(key) ?? 0));
    const budget = this.#budgets.get(key);
    let remaining = Number.POSITIVE_INFINITY;
    if (budget) {
      if (nowMs < budget.resetAtMs) remaining = budget.remaining;
      else if (budget.limit !== null) remaining = budget.limit;
    }
    return remaining <= free ? { slots: Math.max(0, remaining), pausesAfter: true } : { slots: free, pausesAfter: false };
  }

  /** Keys with attempts in flight or a known rate-limit window: the ones whose share differs from a fresh key's. */
  knownKeys(): number[] {
    return [...new Set([...this.#perKey.keys(), ...this.#budgets.keys()])];
  }

  /** Keys that cannot take another attempt now (full or paused): a claim skips their rows. */
  blockedKeys(nowMs: number): number[] {
    const keys = new Set<number>();
    for (const [key, n] of this.#perKey) if (n >= this.perKey) keys.add(key);
    for (const key of [...this.#pausedUntil.keys()]) if (this.isPaused(key, nowMs)) keys.add(key);
    return [...keys];
  }
}
