import { Transaction, type Sequelize } from 'sequelize';
import { dialectOf } from '../../db/connect.js';
import { exclusiveWrite } from '../../db/write-queue.js';

const ER_LOCK_DEADLOCK = 1213;
const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in one write transaction.
 *
 * MySQL: READ COMMITTED, so the `SELECT ... FOR UPDATE` that looks for a visitor's open
 * conversation locks only rows that exist; under REPEATABLE READ it also takes gap locks, and a
 * burst of new visitors then deadlocks on each other's inserts. A deadlock victim is still retried
 * whole (the rolled-back attempt left nothing behind, hook rows included).
 *
 * SQLite has a single writer, so write transactions queue in process (shared with the webhooks
 * plugin, see write-queue.ts) and each is BEGIN IMMEDIATE: it takes the write lock up front, so it
 * cannot fail half-way when another writer got there first.
 */
export async function writeTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  if (dialectOf(sequelize) === 'sqlite') {
    return exclusiveWrite(sequelize, () => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work));
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED }, work);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const e = err as { parent?: { errno?: number }; original?: { errno?: number } } | null;
  return (e?.parent?.errno ?? e?.original?.errno) === ER_LOCK_DEADLOCK;
}
