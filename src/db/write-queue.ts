import { Transaction, type Sequelize } from 'sequelize';
import { hasSessionReadCommitted } from './connect.js';

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

const ER_LOCK_DEADLOCK = 1213;
const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in one write transaction, the same way for the chat, the API and hosts.
 *
 * MySQL: READ COMMITTED, so `SELECT ... FOR UPDATE` locks only rows that exist; under REPEATABLE
 * READ it also takes gap locks, and a burst of inserts then deadlocks. A deadlock victim is
 * retried whole (the rolled-back attempt left nothing behind).
 *
 * SQLite: the write queue above, and BEGIN IMMEDIATE, which takes the write lock up front so the
 * transaction cannot fail half-way when another writer got there first.
 * `retryDeadlocks: false` for work with side effects outside the database (it then fails once).
 */
export async function writeTransaction<T>(
  sequelize: Sequelize,
  work: (t: Transaction) => Promise<T>,
  options: { retryDeadlocks?: boolean } = {},
): Promise<T> {
  if (sequelize.getDialect() === 'sqlite') {
    return exclusiveWrite(sequelize, () => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work));
  }
  // Only work that is pure database writes may run twice: a claim also takes in-process slots.
  const attempts = options.retryDeadlocks === false ? 1 : MAX_ATTEMPTS;
  // Our own connections are READ COMMITTED already; a host's Sequelize gets a SET TRANSACTION first.
  const isolation = hasSessionReadCommitted(sequelize) ? {} : { isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED };
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction(isolation, work);
    } catch (err) {
      if (attempt >= attempts || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const e = err as { parent?: { errno?: number }; original?: { errno?: number } } | null;
  return (e?.parent?.errno ?? e?.original?.errno) === ER_LOCK_DEADLOCK;
}
