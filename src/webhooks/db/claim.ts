import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { writeTransaction } from '../../db/write-queue.js';
import { engineTransaction, isMysql, type ClaimedDelivery } from './delivery-rows.js';
import { blockedUntil } from './order.js';
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
   * How many rows each webhook may take (the caller's free slots and room to hold rows ahead),
   * read before the claim: the claim chooses by this data alone and calls nothing while it holds
   * its locks. A refused row is not written, so it is left exactly as it was. Absent: take every candidate.
   */
  quota?: ClaimQuota;
}

/** A webhook's share of one claim: rows to start now, and rows to hold for its next free slots. */
export interface WebhookQuota {
  slots: number;
  ahead: number;
}

export interface ClaimQuota {
  /** Slots free in all (attempts that may start now, whatever the webhook). */
  total: number;
  byWebhook: ReadonlyMap<number, WebhookQuota>;
  /** The share of a webhook not named in byWebhook. */
  others: WebhookQuota;
}

/**
 * Chooses, oldest due first, the candidates the quota allows (pure): each takes one of its
 * webhook's slots while the total has one, else a place ahead while the total has a slot at all;
 * the others are refused and their webhooks named.
 */
export function chooseWithinQuota(
  candidates: readonly { id: number; webhookId: number }[],
  quota: ClaimQuota,
): { taken: { id: number; webhookId: number }[]; ahead: Set<number>; refused: Set<number>; capacityExhausted: boolean } {
  let total = quota.total;
  const left = new Map<number, WebhookQuota>();
  const taken: { id: number; webhookId: number }[] = [];
  const ahead = new Set<number>();
  const refused = new Set<number>();
  let capacityExhausted = false;
  for (const candidate of candidates) {
    let share = left.get(candidate.webhookId);
    if (!share) left.set(candidate.webhookId, (share = { ...(quota.byWebhook.get(candidate.webhookId) ?? quota.others) }));
    if (total > 0 && share.slots > 0) {
      share.slots--;
      total--;
      taken.push(candidate);
    } else if (total > 0 && share.ahead > 0) {
      share.ahead--;
      ahead.add(candidate.id);
      taken.push(candidate);
    } else {
      refused.add(candidate.webhookId);
      if (total === 0) capacityExhausted = true;
    }
  }
  return { taken, ahead, refused, capacityExhausted };
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  /** Row ids of `claimed` taken to hold ahead (see ClaimQuota), not to start now. */
  ahead: Set<number>;
  /** Webhooks with candidates the quota refused (left due). */
  refused: Set<number>;
  /** A candidate was refused because no slot was free in all. */
  capacityExhausted: boolean;
  /** Candidate rows seen (claimed or refused): fewer than the limit means nothing else is due. */
  seen: number;
  /**
   * Rows seen behind their conversation's head and moved past it: out of the way, so a claim right
   * after this one reaches the due rows (heads among them) they stood in front of.
   */
  postponed: number;
  /** When the earliest of the moved rows comes due again (null: none moved): a sweep then looks at it again. */
  recheckAt: Date | null;
}

/**
 * Claims up to `limit` due rows of enabled webhooks, oldest due first. On MySQL two processes
 * never get the same row (FOR UPDATE SKIP LOCKED); on SQLite the IMMEDIATE transaction serialises claims.
 */
export async function claimDeliveries(sequelize: Sequelize, options: ClaimOptions): Promise<ClaimResult> {
  const none = { claimed: [], ahead: new Set<number>(), refused: new Set<number>(), capacityExhausted: false, postponed: 0, recheckAt: null };
  if (options.limit <= 0 || options.deliveryIds?.length === 0) return { ...none, seen: 0 };
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
      `SELECT d.id, d.webhook_id, d.conversation_id
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
    const all = rows.map((r) => ({ id: parseIntOr(r.id, 0), webhookId: parseIntOr(r.webhook_id, 0), ordered: r.conversation_id != null }));
    // Order per conversation: a row behind a pending one of its conversation is not a candidate.
    const blocked = await blockedUntil(sequelize, all.filter((r) => r.ordered).map((r) => r.id), transaction);
    const candidates = all.filter((r) => !blocked.has(r.id));
    const chosen = options.quota ? chooseWithinQuota(candidates, options.quota) : { ...none, taken: candidates };
    const recheckAt = blocked.size > 0 ? await postponeBlocked(sequelize, blocked, new Set(chosen.taken.map((r) => r.id)), options, transaction) : null;
    const { taken, ahead, refused, capacityExhausted } = chosen;
    const postponed = blocked.size;
    if (taken.length === 0) return { ...none, refused, capacityExhausted, seen: rows.length, postponed, recheckAt };
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
    return { claimed, ahead, refused, capacityExhausted, seen: rows.length, postponed, recheckAt };
  }, engineTransaction);
}


/** How long a row behind a head that is due now waits before it is looked at again (the head's end releases it sooner). */
const RECHECK_MS = 1000;

/**
 * Moves rows found behind their conversation's head past the head's next due time (at least a
 * moment from now), so later claims do not scan them again and again; the head's end makes the
 * next one due at once (order.ts releaseNext). A head this claim takes is next due when its lease
 * ends. Within the claim's transaction: the rows are locked. Answers the earliest time given.
 */
async function postponeBlocked(
  sequelize: Sequelize,
  blocked: ReadonlyMap<number, { headId: number; headDue: unknown }>,
  takenIds: ReadonlySet<number>,
  options: ClaimOptions,
  transaction: Transaction,
): Promise<Date> {
  const floor = options.now.getTime() + RECHECK_MS;
  const byTime = new Map<number, number[]>();
  for (const [id, { headId, headDue }] of blocked) {
    // parseDate answers null for what it cannot read.
    const headAt = takenIds.has(headId) ? options.leaseUntil.getTime() : parseDate(headDue)?.getTime() ?? floor;
    const at = Math.max(headAt, floor);
    byTime.set(at, [...(byTime.get(at) ?? []), id]);
  }
  for (const [at, ids] of byTime) {
    await sequelize.query('UPDATE webhook_deliveries SET next_attempt_at = :at WHERE id IN (:ids)', {
      type: QueryTypes.BULKUPDATE,
      transaction,
      replacements: { at: sqlDate(sequelize, new Date(at)), ids },
    });
  }
  return new Date(Math.min(...byTime.keys()));
}
