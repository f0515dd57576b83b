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

/** Locks and reads these events (or else the oldest left behind), oldest first; on MySQL another process skips them. */
export async function takeEvents(
  sequelize: Sequelize,
  options: { ids?: readonly number[]; limit: number },
  transaction: Transaction,
): Promise<{ id: number; payload: HookPayload }[]> {
  const mysql = sequelize.getDialect() !== 'sqlite';
  const events = await sequelize.query<Record<string, unknown>>(
    `SELECT id, event, data, occurred_at FROM webhook_events
      ${options.ids ? 'WHERE id IN (:ids)' : ''} ORDER BY id LIMIT :limit${mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
    { type: QueryTypes.SELECT, transaction, replacements: { ids: options.ids ?? [], limit: options.limit } },
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
