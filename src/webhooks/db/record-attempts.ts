import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { writeTransaction } from '../../db/write-queue.js';
import { insertAttempts, type AttemptRecord } from './attempts.js';
import { isMysql, type DeliveryState, type DeliveryUpdate } from './delivery-rows.js';
import { releaseNext } from './order.js';
import { clip, parseBool, parseIntOr, sqlDate } from './values.js';
import type { FailedDelivery } from '../outbox/operational-events.js';

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
export async function completeAttempts(
  sequelize: Sequelize,
  inputs: readonly AttemptCompletion[],
  /** Writes `delivery.failed` for the deliveries this batch fails for good, in the same transaction. */
  failed?: { deliveriesFailed(failed: FailedDelivery[], transaction: Transaction): Promise<void> },
): Promise<(DeliveryUpdate | null)[]> {
  if (inputs.length === 0) return [];
  const mysql = isMysql(sequelize);
  // Pure database work (decide() only computes): a deadlock victim runs again rather than leave a
  // sent attempt unrecorded, to be sent again when its lease ends.
  const recorded = await writeTransaction(sequelize, async (transaction) => {
    const found = await sequelize.query<Record<string, unknown>>(
      `SELECT id, delivery_id, webhook_id, conversation_id, event, lease_owner, attempt_number, retry_base, is_test FROM webhook_deliveries
        WHERE id IN (:ids) ORDER BY id${mysql ? ' FOR UPDATE' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { ids: [...new Set(inputs.map((i) => i.rowId))] } },
    );
    const rows = new Map(found.map((r) => [parseIntOr(r.id, 0), r]));
    const written: { input: AttemptCompletion; update: DeliveryUpdate; webhookId: number; isTest: boolean; conversationId: number | null }[] = [];
    const failedForGood: FailedDelivery[] = [];
    const results = inputs.map((input) => {
      const row = rows.get(input.rowId);
      if (!row || row.lease_owner !== input.owner) return null;
      const update = input.decide({
        attemptNumber: parseIntOr(row.attempt_number, 0),
        retryBase: parseIntOr(row.retry_base, 0),
        isTest: parseBool(row.is_test),
      });
      if (update.status === 'failed' && !parseBool(row.is_test)) {
        failedForGood.push({
          webhookId: parseIntOr(row.webhook_id, 0),
          deliveryId: String(row.delivery_id),
          event: String(row.event),
          attempts: input.attempt.attemptNumber,
          lastStatusCode: update.lastStatusCode,
          lastError: update.lastError,
          at: input.now,
        });
      }
      // At most one attempt can hold a row's lease; a second with the same owner would be a bug.
      rows.delete(input.rowId);
      written.push({ input, update, webhookId: parseIntOr(row.webhook_id, 0), isTest: parseBool(row.is_test), conversationId: row.conversation_id == null ? null : parseIntOr(row.conversation_id, 0) });
      return update;
    });
    if (written.length === 0) return { results, ended: [], release: null, released: 0 };
    // One UPDATE for all: each column is a CASE on the primary key. Bound, because last_error
    // quotes the receiver's answer, and a U+0000 in SQL text ends the statement on SQLite.
    const bind: unknown[] = [];
    const param = (value: unknown) => `$${bind.push(value)}`;
    const column = (value: (w: (typeof written)[number]) => unknown) => {
      const arms = written.map((w) => `WHEN ${param(w.input.rowId)} THEN ${param(value(w))}`);
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
    const ids = written.map((w) => param(w.input.rowId));
    await sequelize.query(
      `UPDATE webhook_deliveries SET ${set.join(', ')}, lease_owner = NULL, lease_expires_at = NULL
        WHERE id IN (${ids.join(', ')})`,
      { type: QueryTypes.BULKUPDATE, transaction, bind },
    );
    await insertAttempts(sequelize, written.map((w) => ({ deliveryRowId: w.input.rowId, webhookId: w.webhookId, isTest: w.isTest, attempt: w.input.attempt })), transaction);
    if (failed && failedForGood.length > 0) await failed.deliveriesFailed(failedForGood, transaction);
    // A head that ended (delivered, or failed for good) lets the next row of its conversation go now.
    const ended = written.filter((w) => w.update.status !== 'pending' && w.conversationId !== null);
    if (ended.length === 0) return { results, ended, release: null, released: 0 };
    const release = {
      groups: ended.map((w) => ({ webhookId: w.webhookId, conversationId: w.conversationId! })),
      now: ended.reduce((at, w) => (w.input.now > at ? w.input.now : at), ended[0]!.input.now),
    };
    // SQLite runs write transactions one at a time: the release belongs in this one.
    return { results, ended, release, released: mysql ? 0 : await releaseNext(sequelize, release.groups, release.now, transaction) };
  }, { retryDeadlocks: true });
  const { results, ended, release } = recorded;
  let released = recorded.released;
  // MySQL runs these transactions side by side: a release inside this one could miss a next row
  // committed just after it looked, which a claim that read the head still pending (before this
  // commit) moves to the head's lease end, past any wake. After the commit every such claim sees
  // the head ended, and this release sees every row committed before it (waiting for a claim's lock
  // if need be). No transaction: a read that finds nothing commits nothing, and the one UPDATE is
  // atomic. If the process dies in between, the next row's own due time brings it back.
  if (mysql && release) released = await releaseNext(sequelize, release.groups, release.now);
  if (released === 0) return results;
  return results.map((update) => (update && ended.some((w) => w.update === update) ? { ...update, releasedNext: true } : update));
}
