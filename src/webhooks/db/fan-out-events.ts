import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { ChatEventName } from '../../events.js';
import type { HookPayload } from '../../hooks.js';
import { parseDate, parseIntOr, sqlDate } from './values.js';

/**
 * The event table (thread mode): the chat's transaction writes one small row per event, whatever
 * the number of webhooks; a fan-out takes rows (locked, so another instance skips them), writes
 * their deliveries and deletes them in one transaction (see outbox/event-fan-out.ts).
 */

/** Writes the event in the chat's transaction; answers its id. */
export async function insertEvent(sequelize: Sequelize, payload: HookPayload, transaction: Transaction): Promise<number> {
  const result: unknown = await sequelize.query(
    'INSERT INTO webhook_events (event, data, occurred_at, created_at) VALUES ($1, $2, $3, $4)',
    {
      type: QueryTypes.INSERT,
      bind: [payload.event, JSON.stringify(payload.data), sqlDate(sequelize, payload.occurredAt), sqlDate(sequelize, new Date())],
      transaction,
    },
  );
  return Array.isArray(result) ? Number(result[0]) : Number.NaN;
}

/**
 * Locks and reads the oldest events, up to these ids when given (the ones just committed, with any
 * older one still in the table), oldest first. On MySQL a fan-out waits for another process's
 * fan-out of older events to commit (FOR UPDATE, not SKIP LOCKED), then skips the events it
 * deleted: events are fanned out in the order they were written, so a conversation's deliveries are
 * inserted in its order (SPEC §5) even when its messages arrive through different instances.
 */
export async function takeEvents(
  sequelize: Sequelize,
  options: { ids?: readonly number[]; limit: number; after?: number },
  transaction: Transaction,
): Promise<{ id: number; payload: HookPayload }[]> {
  const mysql = sequelize.getDialect() !== 'sqlite';
  const upTo = options.ids?.length ? Math.max(...options.ids) : null;
  const where = [...(upTo !== null ? ['id <= :upTo'] : []), ...(options.after !== undefined ? ['id > :after'] : [])];
  const events = await sequelize.query<Record<string, unknown>>(
    `SELECT id, event, data, occurred_at FROM webhook_events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT :limit${mysql ? ' FOR UPDATE' : ''}`,
    { type: QueryTypes.SELECT, transaction, replacements: { upTo, after: options.after ?? 0, limit: options.limit } },
  );
  return events.map((e) => ({
    id: parseIntOr(e.id, 0),
    payload: {
      event: String(e.event) as ChatEventName,
      data: JSON.parse(String(e.data)) as HookPayload['data'],
      occurredAt: parseDate(e.occurred_at) ?? new Date(),
    } as HookPayload,
  }));
}

/** Deletes fanned-out events (in the fan-out's transaction). */
export async function deleteEvents(sequelize: Sequelize, ids: readonly number[], transaction: Transaction): Promise<void> {
  await sequelize.query('DELETE FROM webhook_events WHERE id IN (:ids)', { type: QueryTypes.BULKDELETE, transaction, replacements: { ids: [...ids] } });
}
