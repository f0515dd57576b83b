import type { Sequelize } from 'sequelize';

/**
 * The queue's tail lives on the Sequelize instance under a registry symbol, so every module of
 * the process that writes to the same SQLite database (chat, API, the webhooks plugin, a host's own
 * code) shares one queue.
 */
export const SQLITE_WRITE_QUEUE = Symbol.for('livechat.sqliteWriteQueue');

type Queued = Sequelize & { [SQLITE_WRITE_QUEUE]?: Promise<unknown> };

/**
 * Runs one write at a time per SQLite database in this process (MySQL: runs it directly).
 *
 * SQLite has a single writer, and waiting for its lock goes badly in two ways: node-sqlite3 waits
 * on a libuv pool thread (4 by default), so a few waiting writers leave the holder's COMMIT without
 * a thread until busy_timeout; and the busy handler polls with growing sleeps, so a writer that
 * waits can lose every race to one that writes back to back. A FIFO queue avoids both.
 * Never nest calls, and never wrap a write that runs inside someone else's open transaction
 * (that transaction may hold the lock the queued write waits for).
 */
export function exclusiveWrite<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  if (sequelize.getDialect() !== 'sqlite') return work();
  const queued = sequelize as Queued;
  const previous = queued[SQLITE_WRITE_QUEUE] ?? Promise.resolve();
  const run = previous.then(work, work);
  queued[SQLITE_WRITE_QUEUE] = run.catch(() => {});
  return run;
}
