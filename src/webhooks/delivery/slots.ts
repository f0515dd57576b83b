import type { Outcome } from '../http/classify.js';
import type { Clock } from '../http/sender.js';
import type { AttemptLimiter } from './limiter.js';

/**
 * The engine's use of the attempt limiter: slots taken and freed, pauses with one wake-up each at
 * their end, and the rows left due in the table for want of a slot, so that a slot freeing asks
 * for a sweep (`wanted`) only when rows wait for it.
 */
export class Slots {
  /** "webhookId:untilMs" of the pauses that already have a wake-up timer. */
  readonly #pauseTimers = new Set<string>();
  /** Webhooks with rows left due for lack of a slot: a slot of theirs freeing starts a sweep. */
  readonly #waiting = new Set<number>();
  /** Rows were left due because every slot was taken: any slot freeing starts a sweep. */
  #waitingForCapacity = false;

  constructor(
    private readonly limiter: AttemptLimiter,
    private readonly options: {
      clock: Clock;
      /** Schedules a timer that stop() cancels. */
      later: (ms: number, fn: () => void) => void;
      /**
       * A sweep is wanted: a pause ended, or a slot freed that rows left in the table wait for.
       * The one way slots ask for work; never called while a claim holds its locks.
       */
      wanted: () => void;
    },
  ) {}

  /** Attempts that may start now, in all. */
  get free(): number {
    return this.limiter.free;
  }

  get inFlight(): number {
    return this.limiter.inFlight;
  }

  accepts(webhookId: number, nowMs: number): boolean {
    return this.limiter.accepts(webhookId, nowMs);
  }

  isPaused(webhookId: number, nowMs: number): boolean {
    return this.limiter.isPaused(webhookId, nowMs);
  }

  share(webhookId: number, nowMs: number): { slots: number; pausesAfter: boolean } {
    return this.limiter.share(webhookId, nowMs);
  }

  knownKeys(): number[] {
    return this.limiter.knownKeys();
  }

  blockedKeys(nowMs: number): number[] {
    return this.limiter.blockedKeys(nowMs);
  }

  /** Takes a slot (a held row: its webhook's earlier attempt arms the pause's wake-up). */
  tryAcquire(webhookId: number, nowMs: number): boolean {
    return this.limiter.tryAcquire(webhookId, nowMs);
  }

  /** Takes a slot; that request may have used the last of the receiver's window: sweep again when it resets. */
  acquire(webhookId: number, nowMs: number): boolean {
    if (!this.limiter.tryAcquire(webhookId, nowMs)) return false;
    this.#wakeAfterPause(webhookId, nowMs);
    return true;
  }

  /** The receiver answered: its rate-limit window and any pause it asked for take effect now. */
  answered(webhookId: number, outcome: Outcome, nowMs: number): void {
    if (outcome.rateLimit) this.limiter.setBudget(webhookId, outcome.rateLimit, nowMs);
    if (outcome.pauseMs) this.pause(webhookId, nowMs + outcome.pauseMs);
    else this.#wakeAfterPause(webhookId, nowMs);
  }

  /** The HTTP exchange is over: the webhook's slot and the slot in the total free. */
  sent(webhookId: number): void {
    this.limiter.sent(webhookId);
  }

  /** The attempt is written: it no longer counts against the unrecorded attempts allowed. */
  recorded(): void {
    this.limiter.recorded();
    this.freed();
  }

  /** If the limiter paused the webhook (its rate-limit window is used up), sweeps again when it ends. */
  #wakeAfterPause(webhookId: number, nowMs: number): void {
    const until = this.limiter.pausedUntil(webhookId, nowMs);
    if (until > nowMs) this.pause(webhookId, until);
  }

  /** Pauses the webhook and arms one wake-up for the pause's end (a repeated pause arms none). */
  pause(webhookId: number, untilMs: number): void {
    this.limiter.pause(webhookId, untilMs);
    const key = `${webhookId}:${untilMs}`;
    if (this.#pauseTimers.has(key)) return;
    this.#pauseTimers.add(key);
    this.options.later(Math.max(0, untilMs - this.options.clock.now().getTime()) + 10, () => {
      this.#pauseTimers.delete(key);
      this.options.wanted();
    });
  }

  // --- rows left due for want of a slot -------------------------------------------------------

  /** A row of the webhook stays due in the table: for any slot when all are taken, else for one of its own. */
  leftDue(webhookId: number): void {
    if (this.limiter.free === 0) this.#waitingForCapacity = true;
    else this.#waiting.add(webhookId);
  }

  /** Rows of the webhook stay due in the table until one of its slots frees. */
  waitFor(webhookId: number): void {
    this.#waiting.add(webhookId);
  }

  /**
   * A claim left these webhooks' rows due: they wait for a slot. One may have freed while the claim
   * ran, before they were marked as waiting for it: then a sweep now.
   */
  claimLeft(webhookIds: Iterable<number>): void {
    for (const webhookId of webhookIds) this.#waiting.add(webhookId);
    const nowMs = this.options.clock.now().getTime();
    if ([...webhookIds].some((webhookId) => this.limiter.accepts(webhookId, nowMs))) this.options.wanted();
  }

  /** Rows stay due in the table until any slot frees. */
  waitForCapacity(): void {
    this.#waitingForCapacity = true;
  }

  /** The webhook's held rows run low: rows of its waiting in the table get a sweep. */
  refill(webhookId: number): void {
    if (this.#waiting.delete(webhookId)) this.options.wanted();
  }

  /**
   * Slots freed: a sweep if rows wait for any slot and one is free, or (with `webhookId`) for one
   * of that webhook's slots. Either mark is cleared.
   */
  freed(webhookId?: number): void {
    const own = webhookId !== undefined && this.#waiting.delete(webhookId);
    const any = this.#waitingForCapacity && this.limiter.free > 0;
    if (any) this.#waitingForCapacity = false;
    if (own || any) this.options.wanted();
  }
}
