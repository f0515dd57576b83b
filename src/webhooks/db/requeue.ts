import { QueryTypes, type Sequelize } from 'sequelize';
import { exclusiveWrite, writeTransaction } from '../../db/write-queue.js';
import { engineTransaction, isMysql } from './delivery-rows.js';
import { releaseNext } from './order.js';
import { parseDate, parseIntOr, sqlDate } from './values.js';

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
      `SELECT id, webhook_id, conversation_id, status, lease_owner, lease_expires_at FROM webhook_deliveries
        WHERE webhook_id = :webhookId AND delivery_id = :deliveryId${mysql ? ' FOR UPDATE' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { webhookId, deliveryId } },
    );
    if (!row) return null;
    const rowId = parseIntOr(row.id, 0);
    const leaseUntil = parseDate(row.lease_expires_at);
    const inFlight = row.status === 'pending' && row.lease_owner != null && leaseUntil !== null && leaseUntil > now;
    const at = sqlDate(sequelize, now);
    // A redelivery is outside the order per conversation (SPEC §5): the row leaves it, and if it
    // was its conversation's head, the next row goes on.
    await sequelize.query(
      inFlight
        ? 'UPDATE webhook_deliveries SET retry_base = attempt_number, conversation_id = NULL, updated_at = :now WHERE id = :id'
        : `UPDATE webhook_deliveries SET status = 'pending', retry_base = attempt_number, next_attempt_at = :now,
              lease_owner = NULL, lease_expires_at = NULL, conversation_id = NULL, updated_at = :now WHERE id = :id`,
      { type: QueryTypes.BULKUPDATE, transaction, replacements: { id: rowId, now: at } },
    );
    if (row.conversation_id != null && row.status === 'pending') {
      await releaseNext(sequelize, [{ webhookId: parseIntOr(row.webhook_id, 0), conversationId: parseIntOr(row.conversation_id, 0) }], now, transaction);
    }
    return { rowId, inFlight };
  }, engineTransaction);
}

/** Recover: every failed (non-test) delivery of a webhook created in [since, until] queued now with a fresh budget, outside the order per conversation. */
export async function requeueFailed(sequelize: Sequelize, webhookId: number, since: Date, until: Date, now: Date): Promise<number> {
  const changed = await exclusiveWrite(sequelize, () => sequelize.query(
    `UPDATE webhook_deliveries SET status = 'pending', retry_base = attempt_number, next_attempt_at = :now,
            lease_owner = NULL, lease_expires_at = NULL, conversation_id = NULL, updated_at = :now
      WHERE webhook_id = :webhookId AND status = 'failed' AND is_test = :no AND created_at >= :since AND created_at <= :until`,
    {
      type: QueryTypes.BULKUPDATE,
      replacements: { webhookId, no: false, now: sqlDate(sequelize, now), since: sqlDate(sequelize, since), until: sqlDate(sequelize, until) },
    },
  ));
  return Number(changed);
}
