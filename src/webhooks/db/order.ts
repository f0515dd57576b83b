import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { isMysql } from './delivery-rows.js';
import { sqlDate } from './values.js';

/**
 * Order per conversation (SPEC §5), as three small questions to the `webhook_deliveries_order`
 * index (webhook_id, conversation_id, status, id). For one webhook, a conversation's lowest pending
 * row is its head; only a head may be sent, whether it is due now, waiting for a retry or leased
 * to a sender (alive or dead). Each question is one index seek per (webhook, conversation), never a
 * read of the rows waiting behind a head, so a conversation with 10,000 rows queued costs what one
 * with a single row costs.
 *
 * - insert: `busyGroups` says which conversations already have a pending row, so a new row for
 *   them is inserted unleased (it waits) instead of leased for an immediate first attempt;
 * - claim: `blockedUntil` says which candidates have an earlier pending row, and when that row is
 *   next due, so the claim leaves them and moves them past it (they are not scanned again meanwhile);
 * - record: `releaseNext` makes the next row due at once when a head ends (delivered or failed).
 *
 * The claim's gate is what keeps the order; the other two only keep it fast. Rows with no
 * conversation (tests, operational events, redeliveries) are outside the order.
 */

export interface OrderGroup {
  webhookId: number;
  conversationId: number;
}

export const groupKey = (g: OrderGroup) => `${g.webhookId}:${g.conversationId}`;

/** Statements stay small: one scalar subquery per group, this many groups at most. */
const GROUPS_PER_STATEMENT = 200;

function distinctGroups(groups: readonly OrderGroup[]): OrderGroup[] {
  const seen = new Map<string, OrderGroup>();
  for (const g of groups) seen.set(groupKey(g), g);
  return [...seen.values()];
}

/**
 * Runs `SELECT <subquery for group 1> UNION ALL SELECT <subquery for group 2> ...` in chunks and
 * answers each group's value (a scalar subquery, so both dialects seek the index once per group).
 */
async function perGroup(
  sequelize: Sequelize,
  groups: readonly OrderGroup[],
  subquery: (webhook: string, conversation: string) => string,
  transaction?: Transaction,
): Promise<Map<string, unknown>> {
  const answers = new Map<string, unknown>();
  const all = distinctGroups(groups);
  for (let start = 0; start < all.length; start += GROUPS_PER_STATEMENT) {
    const chunk = all.slice(start, start + GROUPS_PER_STATEMENT);
    const bind: unknown[] = [];
    const selects = chunk.map((g) => {
      const w = `$${bind.push(g.webhookId)}`;
      const c = `$${bind.push(g.conversationId)}`;
      return `SELECT (${subquery(w, c)}) AS answer`;
    });
    const rows = await sequelize.query<{ answer: unknown }>(selects.join(' UNION ALL '), {
      type: QueryTypes.SELECT,
      bind,
      ...(transaction ? { transaction } : {}),
    });
    chunk.forEach((g, i) => answers.set(groupKey(g), rows[i]?.answer ?? null));
  }
  return answers;
}

/** The groups among these that have a pending row now (keys, see groupKey). */
export async function busyGroups(sequelize: Sequelize, groups: readonly OrderGroup[], transaction?: Transaction): Promise<Set<string>> {
  if (groups.length === 0) return new Set();
  const answers = await perGroup(
    sequelize,
    groups,
    (w, c) => `SELECT MIN(id) FROM webhook_deliveries WHERE webhook_id = ${w} AND conversation_id = ${c} AND status = 'pending'`,
    transaction,
  );
  return new Set([...answers].filter(([, head]) => head !== null && head !== undefined).map(([key]) => key));
}

/**
 * For each of these rows (ids) that has an earlier pending row of its (webhook, conversation): that
 * earlier row (its head's id, or the first of those before it) and when it is next due. Rows absent
 * from the answer are heads themselves.
 */
export async function blockedUntil(sequelize: Sequelize, rowIds: readonly number[], transaction: Transaction): Promise<Map<number, { headId: number; headDue: unknown }>> {
  if (rowIds.length === 0) return new Map();
  // Named, not left to the planner: MariaDB chose (webhook_id) for `ORDER BY e.id LIMIT 1` and read
  // the webhook's whole history per candidate (95,000 rows read per claim on average in bench figure 2).
  const orderIndex = isMysql(sequelize) ? 'FORCE INDEX (webhook_deliveries_order)' : 'INDEXED BY webhook_deliveries_order';
  const rows = await sequelize.query<{ id: unknown; head_id: unknown }>(
    `SELECT d.id,
            (SELECT e.id FROM webhook_deliveries e ${orderIndex}
              WHERE e.webhook_id = d.webhook_id AND e.conversation_id = d.conversation_id
                AND e.status = 'pending' AND e.id < d.id
              ORDER BY e.id LIMIT 1) AS head_id
       FROM webhook_deliveries d
      WHERE d.id IN (:ids) AND d.conversation_id IS NOT NULL`,
    { type: QueryTypes.SELECT, transaction, replacements: { ids: [...rowIds] } },
  );
  const behind = rows.filter((r) => r.head_id !== null && r.head_id !== undefined).map((r) => ({ id: Number(r.id), headId: Number(r.head_id) }));
  if (behind.length === 0) return new Map();
  // Most claims find no row behind another: the heads' times are read only when some are.
  const heads = await sequelize.query<{ id: unknown; next_attempt_at: unknown }>(
    'SELECT id, next_attempt_at FROM webhook_deliveries WHERE id IN (:ids)',
    { type: QueryTypes.SELECT, transaction, replacements: { ids: [...new Set(behind.map((b) => b.headId))] } },
  );
  const dueOf = new Map(heads.map((h) => [Number(h.id), h.next_attempt_at]));
  return new Map(behind.map((b) => [b.id, { headId: b.headId, headDue: dueOf.get(b.headId) ?? null }]));
}

/**
 * These groups' heads ended (delivered, failed, or left the order): each group's next pending row,
 * if it is waiting unleased and was never tried, becomes due now. Answers how many of those next
 * rows a claim can take now: made due here, or due already (a claim moved it only a moment past a
 * head that then took longer), so the caller knows whether a sweep has work.
 */
export async function releaseNext(sequelize: Sequelize, groups: readonly OrderGroup[], now: Date, transaction?: Transaction): Promise<number> {
  if (groups.length === 0) return 0;
  const heads = await perGroup(
    sequelize,
    groups,
    (w, c) => `SELECT MIN(id) FROM webhook_deliveries WHERE webhook_id = ${w} AND conversation_id = ${c} AND status = 'pending'`,
    transaction,
  );
  const ids = [...heads.values()].filter((id) => id !== null && id !== undefined).map(Number);
  if (ids.length === 0) return 0;
  const options = { ...(transaction ? { transaction } : {}), replacements: { ids, now: sqlDate(sequelize, now) } };
  // Only a row that waited: a head with a retry of its own keeps its time, a leased one its sender.
  const changed = Number(await sequelize.query(
    `UPDATE webhook_deliveries SET next_attempt_at = :now
      WHERE id IN (:ids) AND status = 'pending' AND lease_owner IS NULL AND attempt_number = 0 AND next_attempt_at > :now`,
    { type: QueryTypes.BULKUPDATE, ...options },
  )) || 0;
  if (changed === ids.length) return changed;
  const [due] = await sequelize.query<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM webhook_deliveries
      WHERE id IN (:ids) AND status = 'pending' AND lease_owner IS NULL AND next_attempt_at <= :now`,
    { type: QueryTypes.SELECT, ...options },
  );
  return Number(due?.n ?? 0);
}
