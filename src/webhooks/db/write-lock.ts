import type { Sequelize } from 'sequelize';

const queues = new WeakMap<Sequelize, Promise<unknown>>();

/**
 * Runs one write at a time per SQLite database in this process (MySQL: no-op).
 *
 * SQLite has a single writer, and node-sqlite3 waits for its lock on a libuv pool thread (4 by
 * default). A handful of writers waiting at once fill the pool, the holder's COMMIT finds no thread,
 * and everything stalls until busy_timeout. Queuing here keeps at most one of our writes waiting.
 * Never nest calls, and never wrap a write inside someone else's open transaction (it may hold the
 * lock the queued write is waiting for).
 */
export function exclusiveWrite<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  if (sequelize.getDialect() !== 'sqlite') return work();
  const previous = queues.get(sequelize) ?? Promise.resolve();
  const run = previous.then(work, work);
  queues.set(sequelize, run.catch(() => {}));
  return run;
}
