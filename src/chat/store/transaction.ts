import { Transaction, type Sequelize } from 'sequelize';

const ER_LOCK_DEADLOCK = 1213;
const MAX_ATTEMPTS = 3;

/**
 * Runs `work` in one write transaction and retries it whole when MySQL picks it as a deadlock
 * victim (the rolled-back attempt left nothing behind, hook rows included).
 *
 * On SQLite the transaction is BEGIN IMMEDIATE: it takes the write lock up front, so two
 * read-then-write transactions queue behind each other instead of failing with SQLITE_BUSY
 * at their first write. MySQL ignores the type; callers lock rows with SELECT ... FOR UPDATE.
 */
export async function writeTransaction<T>(sequelize: Sequelize, work: (t: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work);
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  const e = err as { parent?: { errno?: number }; original?: { errno?: number } } | null;
  return (e?.parent?.errno ?? e?.original?.errno) === ER_LOCK_DEADLOCK;
}
