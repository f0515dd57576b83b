import { QueryTypes, type Sequelize } from 'sequelize';
import { writeTransaction } from '../../db/write-queue.js';
import { engineTransaction, isMysql, type ClaimedDelivery } from './delivery-rows.js';
import { parseBool, parseDate, parseIntOr, sqlDate } from './values.js';

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

