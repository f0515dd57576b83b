/**
 * At most `size` tasks run at once; the others wait their turn, first come first served.
 * The engine runs its database work through one, so the chat always finds pool connections free.
 */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  /** How many at the head of #waiting were queued `first`. */
  #urgent = 0;

  constructor(readonly size: number) {
    this.#free = size;
  }

  /** Tasks waiting for a turn. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `work` once a turn is free and frees it when `work` settles; `first` queues it ahead of
   * the others waiting. Never nest: a task waiting inside another can deadlock.
   */
  async run<T>(work: () => Promise<T>, options?: { first?: boolean }): Promise<T> {
    if (this.#free > 0) this.#free--;
    else if (options?.first) await new Promise<void>((resolve) => this.#waiting.splice(this.#urgent++, 0, resolve));
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      // The turn passes straight to the next waiter, so a newcomer cannot overtake it.
      const next = this.#waiting.shift();
      if (this.#urgent > 0) this.#urgent--;
      if (next) next();
      else this.#free++;
    }
  }
}
