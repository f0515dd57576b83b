import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import { insertAttempts, type AttemptRecord } from './attempts.js';
import { clip, parseBool, parseDate, parseIntOr, sqlDate } from './values.js';
import { exclusiveWrite, writeTransaction } from '../../db/write-queue.js';

/**
 * The writes of the delivery table: the outbox insert, the sweeper's claim, the record of an
 * attempt, and requeueing. Reads for the API live in delivery-logs.ts.
 *
 * A claim is a lease: `lease_owner` names the claim and `next_attempt_at` moves to the lease's
 * expiry, so a row whose sender died becomes due again by itself and the claim stays a range scan
 * on (status, next_attempt_at). Completing an attempt checks `lease_owner`, so a stale sender can
 * never overwrite a row another process has claimed since.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewDelivery {
  deliveryId: string;
  webhookId: number;
  event: string;
  /** The exact bytes every attempt sends. */
  body: string;
  isTest: boolean;
  createdAt: Date;
  /** When the first attempt is due (normally createdAt). */
  nextAttemptAt: Date;
  /** Insert already claimed (a test delivery sent at once). */
  lease?: { owner: string; until: Date };
}

/** A claimed row: what a sender needs. */
export interface ClaimedDelivery {
  id: number;
  deliveryId: string;
  webhookId: number;
  event: string;
  body: string;
  isTest: boolean;
  /** Attempts made before this claim. */
  attemptNumber: number;
  retryBase: number;
  createdAt: Date;
  leaseOwner: string;
}

/** What an attempt turns the delivery into. */
export interface DeliveryUpdate {
  status: DeliveryStatus;
  /** For pending: when the next attempt is due. */
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** The delivery as it stands when the attempt is recorded (a redeliver may have moved retry_base meanwhile). */
export interface DeliveryState {
  attemptNumber: number;
  retryBase: number;
  isTest: boolean;
}

const isMysql = (sequelize: Sequelize) => sequelize.getDialect() !== 'sqlite';

/** Claims take in-process slots as they go, so a deadlock victim must fail, not run again. */
const engineTransaction = { retryDeadlocks: false };

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
      r.deliveryId, r.webhookId, r.event, r.body, r.isTest ? 1 : 0, 'pending', 0, 0,
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
         (delivery_id, webhook_id, event, body, is_test, status, attempt_number, retry_base, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
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
 * were inserted leased and the ids are known (see insertIdsAreConsecutive), else only their
 * delivery ids (a claim must take them).
 */
export function committedRows(
  rows: readonly NewDelivery[],
  ids: readonly number[] | null,
  lease: { owner: string } | null | undefined,
): { deliveryId: string; webhookId: number; claimed?: ClaimedDelivery }[] {
  return rows.map((r, i) => ({
    deliveryId: r.deliveryId,
    webhookId: r.webhookId,
    ...(lease && ids && ids[i] !== undefined
      ? {
          claimed: {
            id: ids[i]!, deliveryId: r.deliveryId, webhookId: r.webhookId, event: r.event, body: r.body,
            isTest: r.isTest, attemptNumber: 0, retryBase: 0, createdAt: r.createdAt, leaseOwner: lease.owner,
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

export interface ClaimOptions {
  /** Names this claim; completion must present it. */
  owner: string;
  now: Date;
  leaseUntil: Date;
  limit: number;
  /** Claim only these deliveries (the first attempt, right after the outbox commit). */
  deliveryIds?: readonly string[];
  /** Leave the rows of these webhooks alone (full or paused in this process). */
  skipWebhookIds?: readonly number[];
  /**
   * Called per candidate row, oldest due first, inside the claim: true takes it. A refused row is
   * not written, so it is left exactly as it was (the caller had no slot for its webhook).
   */
  accept?: (candidate: { id: number; webhookId: number }) => boolean;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  /** Candidate rows seen (claimed or refused): fewer than the limit means nothing else is due. */
  seen: number;
}

/**
 * Claims up to `limit` due rows of enabled webhooks, oldest due first. On MySQL two processes
 * never get the same row (FOR UPDATE SKIP LOCKED); on SQLite the IMMEDIATE transaction serialises claims.
 */
export async function claimDeliveries(sequelize: Sequelize, options: ClaimOptions): Promise<ClaimResult> {
  if (options.limit <= 0 || options.deliveryIds?.length === 0) return { claimed: [], seen: 0 };
  const mysql = isMysql(sequelize);
  const where = ["d.status = 'pending'", 'd.next_attempt_at <= :now'];
  if (options.deliveryIds) where.push('d.delivery_id IN (:deliveryIds)');
  if (options.skipWebhookIds?.length) where.push('d.webhook_id NOT IN (:skip)');
  // A held row (webhook disabled) stays pending and goes out when the webhook is enabled again.
  // A scalar subquery, not a join or EXISTS: MariaDB turns those into a semi-join with a filesort,
  // and a join would also lock the webhooks rows. This way the plan is a range scan on
  // webhook_deliveries_due that stops at LIMIT, plus one primary-key lookup per row, unlocked.
  where.push('(SELECT w.is_active FROM webhooks w WHERE w.id = d.webhook_id) = :yes');
  return writeTransaction(sequelize, async (transaction) => {
    const rows = await sequelize.query<Record<string, unknown>>(
      `SELECT d.id, d.webhook_id
         FROM webhook_deliveries d
        WHERE ${where.join(' AND ')}
        ORDER BY d.next_attempt_at
        LIMIT :limit${mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      {
        type: QueryTypes.SELECT,
        transaction,
        replacements: {
          now: sqlDate(sequelize, options.now),
          deliveryIds: options.deliveryIds ?? [],
          skip: options.skipWebhookIds ?? [],
          yes: true,
          limit: options.limit,
        },
      },
    );
    const taken = options.accept ? rows.filter((r) => options.accept!({ id: parseIntOr(r.id, 0), webhookId: parseIntOr(r.webhook_id, 0) })) : rows;
    if (taken.length === 0) return { claimed: [], seen: rows.length };
    const until = sqlDate(sequelize, options.leaseUntil);
    await sequelize.query(
      'UPDATE webhook_deliveries SET lease_owner = :owner, lease_expires_at = :until, next_attempt_at = :until WHERE id IN (:ids)',
      { type: QueryTypes.BULKUPDATE, transaction, replacements: { owner: options.owner, until, ids: taken.map((r) => r.id) } },
    );
    // Bodies are read only for the rows taken: a refused candidate costs no 16 MiB read.
    const full = await sequelize.query<Record<string, unknown>>(
      `SELECT id, delivery_id, webhook_id, event, body, is_test, attempt_number, retry_base, created_at
         FROM webhook_deliveries WHERE id IN (:ids) ORDER BY id`,
      { type: QueryTypes.SELECT, transaction, replacements: { ids: taken.map((r) => r.id) } },
    );
    const claimed = full.map((r) => ({
      id: parseIntOr(r.id, 0),
      deliveryId: String(r.delivery_id),
      webhookId: parseIntOr(r.webhook_id, 0),
      event: String(r.event),
      body: String(r.body),
      isTest: parseBool(r.is_test),
      attemptNumber: parseIntOr(r.attempt_number, 0),
      retryBase: parseIntOr(r.retry_base, 0),
      createdAt: parseDate(r.created_at) ?? options.now,
      leaseOwner: options.owner,
    }));
    return { claimed, seen: rows.length };
  }, engineTransaction);
}

/** One finished attempt to record: `decide` sees the row as it stands when the attempt is written. */
export interface AttemptCompletion {
  rowId: number;
  owner: string;
  attempt: AttemptRecord;
  now: Date;
  decide: (state: DeliveryState) => DeliveryUpdate;
}

/**
 * Records an attempt and its consequence in one transaction: the attempt row, and the delivery
 * moved to delivered / pending (next_attempt_at) / failed with the lease cleared. Returns null,
 * writing nothing, when the lease is no longer ours (the row was re-claimed after our lease ran
 * out, or deleted with its webhook).
 */
export async function completeAttempt(sequelize: Sequelize, input: AttemptCompletion): Promise<DeliveryUpdate | null> {
  const [update] = await completeAttempts(sequelize, [input]);
  return update ?? null;
}

/**
 * Records many attempts in ONE transaction (group commit): one locking read, one UPDATE, one
 * multi-row INSERT, whatever the number. Each row is checked on its own: an attempt whose lease
 * was lost gets null and writes nothing, the others are recorded. Answers in the order given.
 */
export async function completeAttempts(sequelize: Sequelize, inputs: readonly AttemptCompletion[]): Promise<(DeliveryUpdate | null)[]> {
  if (inputs.length === 0) return [];
  const mysql = isMysql(sequelize);
  // Pure database work (decide() only computes): a deadlock victim runs again rather than leave a
  // sent attempt unrecorded, to be sent again when its lease ends.
  return writeTransaction(sequelize, async (transaction) => {
    const found = await sequelize.query<Record<string, unknown>>(
      `SELECT id, lease_owner, attempt_number, retry_base, is_test FROM webhook_deliveries
        WHERE id IN (:ids) ORDER BY id${mysql ? ' FOR UPDATE' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { ids: [...new Set(inputs.map((i) => i.rowId))] } },
    );
    const rows = new Map(found.map((r) => [parseIntOr(r.id, 0), r]));
    const written: { input: AttemptCompletion; update: DeliveryUpdate }[] = [];
    const results = inputs.map((input) => {
      const row = rows.get(input.rowId);
      if (!row || row.lease_owner !== input.owner) return null;
      const update = input.decide({
        attemptNumber: parseIntOr(row.attempt_number, 0),
        retryBase: parseIntOr(row.retry_base, 0),
        isTest: parseBool(row.is_test),
      });
      // At most one attempt can hold a row's lease; a second with the same owner would be a bug.
      rows.delete(input.rowId);
      written.push({ input, update });
      return update;
    });
    if (written.length === 0) return results;
    // One UPDATE for all: each column is a CASE on the primary key.
    const replacements: unknown[] = [];
    const column = (value: (w: (typeof written)[number]) => unknown) => {
      const arms = written.map((w) => {
        replacements.push(w.input.rowId, value(w));
        return 'WHEN ? THEN ?';
      });
      return `CASE id ${arms.join(' ')} END`;
    };
    const set = [
      `status = ${column((w) => w.update.status)}`,
      `attempt_number = ${column((w) => w.input.attempt.attemptNumber)}`,
      // next_attempt_at is NOT NULL; a finished row keeps the time of its last attempt.
      `next_attempt_at = ${column((w) => sqlDate(sequelize, w.update.nextAttemptAt ?? w.input.now))}`,
      `last_status_code = ${column((w) => w.update.lastStatusCode)}`,
      `last_error = ${column((w) => clip(w.update.lastError, 1024))}`,
      `delivered_at = COALESCE(${column((w) => (w.update.deliveredAt ? sqlDate(sequelize, w.update.deliveredAt) : null))}, delivered_at)`,
      `updated_at = ${column((w) => sqlDate(sequelize, w.input.now))}`,
    ];
    const ids = written.map((w) => w.input.rowId);
    replacements.push(...ids);
    await sequelize.query(
      `UPDATE webhook_deliveries SET ${set.join(', ')}, lease_owner = NULL, lease_expires_at = NULL
        WHERE id IN (${ids.map(() => '?').join(', ')})`,
      { type: QueryTypes.BULKUPDATE, transaction, replacements },
    );
    await insertAttempts(sequelize, written.map((w) => ({ deliveryRowId: w.input.rowId, attempt: w.input.attempt })), transaction);
    return results;
  }, { retryDeadlocks: true });
}

/**
 * Redeliver: the same delivery (same delivery_id and body) queued now with a fresh retry budget.
 * A row being sent right now keeps its lease and only gets the fresh budget, so it is never sent
 * twice at once. Null when the webhook has no such delivery.
 */
export async function requeueDelivery(
  sequelize: Sequelize,
  webhookId: number,
  deliveryId: string,
  now: Date,
): Promise<{ rowId: number; inFlight: boolean } | null> {
  const mysql = isMysql(sequelize);
  return writeTransaction(sequelize, async (transaction) => {
    const [row] = await sequelize.query<Record<string, unknown>>(
      `SELECT id, status, lease_owner, lease_expires_at FROM webhook_deliveries
        WHERE webhook_id = :webhookId AND delivery_id = :deliveryId${mysql ? ' FOR UPDATE' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { webhookId, deliveryId } },
    );
    if (!row) return null;
    const rowId = parseIntOr(row.id, 0);
    const leaseUntil = parseDate(row.lease_expires_at);
    const inFlight = row.status === 'pending' && row.lease_owner != null && leaseUntil !== null && leaseUntil > now;
    const at = sqlDate(sequelize, now);
    await sequelize.query(
      inFlight
        ? 'UPDATE webhook_deliveries SET retry_base = attempt_number, updated_at = :now WHERE id = :id'
        : `UPDATE webhook_deliveries SET status = 'pending', retry_base = attempt_number, next_attempt_at = :now,
              lease_owner = NULL, lease_expires_at = NULL, updated_at = :now WHERE id = :id`,
      { type: QueryTypes.BULKUPDATE, transaction, replacements: { id: rowId, now: at } },
    );
    return { rowId, inFlight };
  }, engineTransaction);
}

/** Recover: every failed (non-test) delivery of a webhook created in [since, until] queued now with a fresh budget. */
export async function requeueFailed(sequelize: Sequelize, webhookId: number, since: Date, until: Date, now: Date): Promise<number> {
  const changed = await exclusiveWrite(sequelize, () => sequelize.query(
    `UPDATE webhook_deliveries SET status = 'pending', retry_base = attempt_number, next_attempt_at = :now,
            lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
      WHERE webhook_id = :webhookId AND status = 'failed' AND is_test = :no AND created_at >= :since AND created_at <= :until`,
    {
      type: QueryTypes.BULKUPDATE,
      replacements: { webhookId, no: false, now: sqlDate(sequelize, now), since: sqlDate(sequelize, since), until: sqlDate(sequelize, until) },
    },
  ));
  return Number(changed);
}

/**
 * Hands claimed rows back unsent: due now, unleased, for any sweeper. Only rows still leased by
 * one of `owners` change (one another process has re-claimed since is left alone). Answers how many.
 */
export async function releaseLeases(sequelize: Sequelize, rowIds: readonly number[], owners: readonly string[], now: Date): Promise<number> {
  if (rowIds.length === 0) return 0;
  const changed = await exclusiveWrite(sequelize, () => sequelize.query(
    `UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = :now
      WHERE id IN (:ids) AND lease_owner IN (:owners) AND status = 'pending'`,
    { type: QueryTypes.BULKUPDATE, replacements: { ids: [...rowIds], owners: [...new Set(owners)], now: sqlDate(sequelize, now) } },
  ));
  return Number(changed);
}
