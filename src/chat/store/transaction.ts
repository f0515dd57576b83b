import { Transaction, type Sequelize } from 'sequelize';
import { dialectOf } from '../../db/connect.js';

const ER_LOCK_DEADLOCK = 1213;
const MAX_ATTEMPTS = 3;

/** SQLite: the tail of this process's queue of chat write transactions, per database. */
const sqliteWriters = new WeakMap<Sequelize, Promise<unknown>>();

/**
 * Runs `work` in one write transaction and retries it whole when MySQL picks it as a deadlock
 * victim (the rolled-back attempt left nothing behind, hook rows included).
 *
 * SQLite has a single writer, so the chat's write transactions queue in process instead of
 * polling each other through SQLITE_BUSY, and each is BEGIN IMMEDIATE: it takes the write lock
 * up front, so it cannot fail half-way when another writer (the webhook sweeper) got there
 * first. MySQL ignores the type; callers lock rows with SELECT ... FOR UPDATE.
 */
export async function writeTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  if (dialectOf(sequelize) !== 'sqlite') return withDeadlockRetry(sequelize, work);
  const previous = sqliteWriters.get(sequelize) ?? Promise.resolve();
  const mine = previous.then(() => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work));
  sqliteWriters.set(
    sequelize,
    mine.catch(() => undefined),
  );
  return mine;
}

async function withDeadlockRetry<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction(work);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const e = err as { parent?: { errno?: number }; original?: { errno?: number } } | null;
  return (e?.parent?.errno ?? e?.original?.errno) === ER_LOCK_DEADLOCK;
}
