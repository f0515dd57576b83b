import type { Clock } from '../http/sender.js';

/**
 * A clock moved by hand whose time lives in shared memory, so an engine in a worker thread reads
 * the time a test set on the chat's thread (an object with methods cannot cross to a worker; its
 * SharedArrayBuffer can). `new SharedClock(clock.buffer)` on the other side reads the same time.
 */
export class SharedClock implements Clock {
  readonly buffer: SharedArrayBuffer;
  readonly #ms: BigInt64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(8);
    this.#ms = new BigInt64Array(this.buffer);
    if (!buffer) Atomics.store(this.#ms, 0, BigInt(Date.now()));
  }

  now = (): Date => new Date(Number(Atomics.load(this.#ms, 0)));

  advance(ms: number): void {
    Atomics.add(this.#ms, 0, BigInt(ms));
  }
}
