import { setMaxListeners } from 'node:events';

/**
 * Runs one database operation of the engine's own, at most WEBHOOK_DB_CONCURRENCY at once: the
 * engine shares the chat's connection pool, and its claims and records must never hold every
 * connection while a visitor's message waits. Never wrap HTTP in it, and never nest it.
 * `first`: ahead of the queue. Recording attempts frees slots; a claim queued before it would
 * only find every slot still taken.
 */
export type DbGate = <T>(work: () => Promise<T>, options?: { first?: boolean }) => Promise<T>;

/** Work that runs on the next turn and again while there is more of it (see Runtime.drain). */
export interface DrainJob {
  name: string;
  pending: () => boolean;
  step: () => Promise<void>;
  /** Forgets what is queued after a failure (its work is still in the tables). */
  drop: () => void;
}

/**
 * What the engine's background work runs on: the promises it must wait for (idle, stop), its
 * timers, the one shutdown signal of the attempts in flight, and the stopping flag.
 */
export class Runtime {
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  /** Names of the drain jobs running now. */
  readonly #draining = new Set<string>();
  #stopping = false;

  /** `failed`: a drain job failed (its queue is dropped); the caller arms a retry. */
  constructor(private readonly failed: (err: unknown, message: string) => void) {
    // Every attempt in flight (up to WEBHOOK_CONCURRENCY) listens on the one shutdown signal while it runs.
    setMaxListeners(0, this.#abort.signal);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Aborts the attempts in flight when it fires (after stop's grace period). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Waits for `promise` in idle() and stop(). */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#tasks.add(promise);
    void promise.finally(() => this.#tasks.delete(promise)).catch(() => {});
    return promise;
  }

  /** Runs `fn` after `ms` unless stop() comes first; the timer keeps no process alive. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  /**
   * Runs `step` on the next turn, and again while `pending()`, one run per name at a time: what is
   * queued meanwhile goes in the running one's next step, so a burst costs a few transactions, not
   * one each. On a failure the queue is dropped (its work is still in the tables) and a retry sweep armed.
   */
  drain(job: DrainJob): void {
    if (!job.pending() || this.#draining.has(job.name)) return;
    this.#draining.add(job.name);
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      try {
        while (job.pending() && !this.#stopping) await job.step();
      } finally {
        this.#draining.delete(job.name);
      }
    });
    this.track(
      run.catch((err: unknown) => {
        job.drop();
        this.failed(err, `${job.name} failed`);
      }),
    );
  }

  /** Resolves when nothing tracked is in progress. */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /** No new work from now on; pending timers are cancelled. */
  stop(): void {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
  }

  /** Aborts the HTTP exchanges still running. */
  abort(): void {
    this.#abort.abort();
  }
}
