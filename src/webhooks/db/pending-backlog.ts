import { QueryTypes, type Sequelize } from 'sequelize';
import { parseDate, parseIntOr } from './values.js';

export interface PendingBacklog {
  webhookId: number;
  pending: number;
  /** When the first pending delivery still waiting was created; null when none waits. */
  oldestCreatedAt: Date | null;
}

/**
 * Every webhook's pending deliveries and its oldest one, in ONE query. Both subqueries read the
 * (webhook_id, status, id) index: the count is an index-only range, the oldest is its first entry
 * plus one primary-key lookup. Nothing scans delivered or failed rows, however many there are.
 */
export async function pendingBacklog(sequelize: Sequelize): Promise<PendingBacklog[]> {
  const rows = await sequelize.query<Record<string, unknown>>(
    `SELECT w.id,
            (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending') AS pending,
            (SELECT d.created_at FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending' ORDER BY d.id LIMIT 1) AS oldest
       FROM webhooks w ORDER BY w.id`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ webhookId: parseIntOr(r.id, 0), pending: parseIntOr(r.pending, 0), oldestCreatedAt: parseDate(r.oldest) }));
}
