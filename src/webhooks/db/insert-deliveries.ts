import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import { exclusiveWrite } from '../../db/write-queue.js';
import { isMysql, type ClaimedDelivery, type NewDelivery } from './delivery-rows.js';
import { parseIntOr, sqlDate } from './values.js';

/**
 * The outbox write: every row in ONE multi-row insert, inside the caller's transaction when given.
 * Values are bound, not spliced into the SQL (on MySQL a prepared statement per row count and
 * connection): the bodies are sent as they are, with no escaping or scanning of kilobytes of text.
 */
export async function insertDeliveries(sequelize: Sequelize, rows: readonly NewDelivery[], transaction?: Transaction): Promise<number[] | null> {
  if (rows.length === 0) return null;
  const ids: number[] = [];
  // A fan-out may write thousands of rows: statements stay under MySQL's 65,535 placeholders and
  // well under max_allowed_packet.
  for (const chunk of chunks(rows)) {
    const first = await insertChunk(sequelize, chunk, transaction);
    if (first === null) return null;
    for (let i = 0; i < chunk.length; i++) ids.push(first + i);
  }
  return ids;
}

const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 4 * 1024 * 1024;

function* chunks(rows: readonly NewDelivery[]): Generator<NewDelivery[]> {
  let chunk: NewDelivery[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (chunk.length > 0 && (chunk.length >= CHUNK_ROWS || bytes + row.body.length > CHUNK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += row.body.length;
  }
  if (chunk.length > 0) yield chunk;
}

/** One multi-row INSERT; on MySQL answers the first row's id (the others follow it, see insertIdsAreConsecutive). */
async function insertChunk(sequelize: Sequelize, rows: readonly NewDelivery[], transaction?: Transaction): Promise<number | null> {
  const bind: unknown[] = [];
  const tuples: string[] = [];
  for (const r of rows) {
    const created = sqlDate(sequelize, r.createdAt);
    const values = [
      r.deliveryId, r.webhookId, r.event, r.body, r.isTest ? 1 : 0, r.conversationId ?? null, 'pending', 0, 0,
      sqlDate(sequelize, r.lease ? r.lease.until : r.nextAttemptAt),
      r.lease?.owner ?? null,
      r.lease ? sqlDate(sequelize, r.lease.until) : null,
      created, created,
    ];
    tuples.push(`(${values.map((v) => {
      bind.push(v);
      return `$${bind.length}`;
    }).join(', ')})`);
  }
  const insert = () =>
    sequelize.query(
      `INSERT INTO webhook_deliveries
         (delivery_id, webhook_id, event, body, is_test, conversation_id, status, attempt_number, retry_base, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
       VALUES ${tuples.join(', ')}`,
      { type: QueryTypes.INSERT, bind, ...(transaction ? { transaction } : {}) },
    );
  // Inside the caller's transaction the write must not queue behind ours (that transaction may hold the lock).
  const result: unknown = await (transaction ? insert() : exclusiveWrite(sequelize, insert));
  // MySQL answers [first insert id, rows].
  const first = Array.isArray(result) ? Number(result[0]) : Number.NaN;
  return isMysql(sequelize) && Number.isSafeInteger(first) && first > 0 ? first : null;
}

const consecutiveIds = new WeakMap<Sequelize, Promise<boolean>>();

/**
 * Whether the rows of one multi-row INSERT get consecutive ids, so that they are known without
 * reading them back: InnoDB's innodb_autoinc_lock_mode 0 or 1 (MariaDB's default) guarantees it
 * for inserts whose row count is known; 2 (MySQL 8's default) does not. Never assumed on SQLite.
 * Asked of the database once per Sequelize (in `transaction` when given); an error answers false
 * and is asked again next time.
 */
export function insertIdsAreConsecutive(sequelize: Sequelize, transaction?: Transaction): Promise<boolean> {
  if (!isMysql(sequelize)) return Promise.resolve(false);
  let answer = consecutiveIds.get(sequelize);
  if (!answer) {
    answer = sequelize
      .query<{ mode: unknown; step: unknown }>('SELECT @@innodb_autoinc_lock_mode AS mode, @@auto_increment_increment AS step', {
        type: QueryTypes.SELECT,
        ...(transaction ? { transaction } : {}),
      })
      // Galera and multi-primary setups step ids by more than one.
      .then(([row]) => Number(row?.mode) <= 1 && Number(row?.step) === 1)
      .catch(() => {
        consecutiveIds.delete(sequelize);
        return false;
      });
    consecutiveIds.set(sequelize, answer);
  }
  return answer;
}

/**
 * The rows of one insertDeliveries() call as the engine sends them: with their row ids when they
 * were inserted leased (each row's own `lease`) and the ids are known (see insertIdsAreConsecutive), else only their
 * delivery ids (a claim must take them).
 */
export function committedRows(
  rows: readonly NewDelivery[],
  ids: readonly number[] | null,
): { deliveryId: string; webhookId: number; claimed?: ClaimedDelivery }[] {
  return rows.map((r, i) => ({
    deliveryId: r.deliveryId,
    webhookId: r.webhookId,
    ...(r.lease && ids && ids[i] !== undefined
      ? {
          claimed: {
            id: ids[i]!, deliveryId: r.deliveryId, webhookId: r.webhookId, event: r.event, body: r.body,
            isTest: r.isTest, attemptNumber: 0, retryBase: 0, createdAt: r.createdAt, leaseOwner: r.lease.owner,
          },
        }
      : {}),
  }));
}

/** Inserts one row already claimed by `row.lease` (a test delivery sent at once) and returns it as claimed. */
export async function insertClaimedDelivery(sequelize: Sequelize, row: NewDelivery & { lease: { owner: string; until: Date } }): Promise<ClaimedDelivery> {
  await insertDeliveries(sequelize, [row]);
  const [found] = await sequelize.query<{ id: unknown }>('SELECT id FROM webhook_deliveries WHERE delivery_id = :id', {
    type: QueryTypes.SELECT,
    replacements: { id: row.deliveryId },
  });
  return {
    id: parseIntOr(found?.id, 0),
    deliveryId: row.deliveryId,
    webhookId: row.webhookId,
    event: row.event,
    body: row.body,
    isTest: row.isTest,
    attemptNumber: 0,
    retryBase: 0,
    createdAt: row.createdAt,
    leaseOwner: row.lease.owner,
  };
}
