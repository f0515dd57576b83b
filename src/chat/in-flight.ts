import { ChatError } from './errors.js';

/**
 * Work the chat has accepted and not yet answered. Shutdown stops taking new work and waits
 * for this to drain, so no acknowledged write is cut off by the database closing under it.
 */
export class InFlight {
  readonly #tasks = new Set<Promise<unknown>>();
  #closing = false;

  get closing(): boolean {
    return this.#closing;
  }

  /** Runs `task` unless shutting down, remembering it until it settles. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new ChatError('internal', 'The server is shutting down; try again'));
    const promise = task();
    this.#tasks.add(promise);
    const forget = () => this.#tasks.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Refuses new work and resolves when everything accepted has settled. */
  async drain(): Promise<void> {
    this.#closing = true;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    // The acks of the last tasks are sent a few promise hops after they settle; a macrotask
    // later they all have been, so the caller can hang up without cutting one off.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * One socket's writes, one after another, in the order they arrived: a visitor's messages are
 * stored in the order sent, and two quick `conversation:start`s cannot both create a visitor.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  constructor(private readonly maxPending = 32) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#pending >= this.maxPending) {
      return Promise.reject(new ChatError('rate_limited', 'Too many requests waiting; slow down'));
    }
    this.#pending++;
    const result = this.#tail.then(task);
    this.#tail = result.then(
      () => this.#pending--,
      () => this.#pending--,
    );
    return result;
  }
}

/**
 * Tries in progress by key (a visitor's `client_message_id`): a resend that arrives while its
 * first try still runs, on this socket or another of this process, joins that try and answers
 * what it answers, instead of queueing behind it or racing it to the database.
 */
export class SharedAttempts {
  readonly #running = new Map<string, Promise<unknown>>();

  get size(): number {
    return this.#running.size;
  }

  /** Runs `task`, or returns the promise of the try already running under `key`. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running) return running as Promise<T>;
    const promise = task();
    this.#running.set(key, promise);
    const forget = () => this.#running.delete(key);
    promise.then(forget, forget);
    return promise;
  }
}

/** Rejects with `internal` when `promise` has not settled within `ms`; the work itself goes on. */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChatError('internal', 'The server took too long to answer; try again')), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
