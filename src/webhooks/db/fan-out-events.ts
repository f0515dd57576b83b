import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { ChatEventName } from '../../events.js';
import type { HookPayload } from '../../hooks.js';
import { writeTransaction } from '../../db/write-queue.js';
import { committedRows, insertDeliveries, type ClaimedDelivery, type NewDelivery } from './claim.js';
import { listActiveWebhooks, type WebhookRecord } from './webhook-store.js';
import { parseDate, parseIntOr, sqlDate } from './values.js';

/**
 * The event outbox (thread mode): the chat's transaction writes one small row per event, whatever
 * the number of webhooks, and the delivery worker fans it out into delivery rows.
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

export interface FanOutOptions {
  /** These events (just committed), or else the oldest left behind (a worker that died, another instance's). */
  ids?: readonly number[];
  limit: number;
  /** The delivery rows of one event for the enabled webhooks (rendered bodies). */
  plan: (payload: HookPayload, webhooks: readonly WebhookRecord[]) => NewDelivery[];
  /** Insert the rows leased to this owner, so they are sent without a claim (null: when their ids cannot be known, see insertIdsAreConsecutive). */
  lease: { owner: string; until: Date } | null;
}

export interface FanOutResult {
  /** Events fanned out (and deleted). */
  events: number;
  /** Rows inserted: claimed (leased, ids known) when the ids of one insert are consecutive, else due for a claim. */
  rows: { deliveryId: string; webhookId: number; claimed?: ClaimedDelivery }[];
  webhooks: WebhookRecord[];
}

/**
 * Turns events into delivery rows in ONE transaction: the events are locked (another instance
 * skips them), the enabled webhooks read as they stand now, every row inserted in one statement,
 * and the events deleted. An event is fanned out exactly once, even by two processes at once.
 */
export async function fanOutEvents(sequelize: Sequelize, options: FanOutOptions): Promise<FanOutResult> {
  if (options.ids?.length === 0) return { events: 0, rows: [], webhooks: [] };
  const mysql = sequelize.getDialect() !== 'sqlite';
  return writeTransaction(sequelize, async (transaction) => {
    const events = await sequelize.query<Record<string, unknown>>(
      `SELECT id, event, data, occurred_at FROM webhook_events
        ${options.ids ? 'WHERE id IN (:ids)' : ''} ORDER BY id LIMIT :limit${mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`,
      { type: QueryTypes.SELECT, transaction, replacements: { ids: options.ids ?? [], limit: options.limit } },
    );
    if (events.length === 0) return { events: 0, rows: [], webhooks: [] };
    const webhooks = await listActiveWebhooks(sequelize, transaction);
    const planned: NewDelivery[] = [];
    for (const e of events) {
      const payload = {
        event: String(e.event) as ChatEventName,
        data: JSON.parse(String(e.data)) as HookPayload['data'],
        occurredAt: parseDate(e.occurred_at) ?? new Date(),
      } as HookPayload;
      planned.push(...options.plan(payload, webhooks));
    }
    const leased = options.lease;
    const ids = await insertDeliveries(sequelize, leased ? planned.map((r) => ({ ...r, lease: leased })) : planned, transaction);
    await sequelize.query('DELETE FROM webhook_events WHERE id IN (:ids)', {
      type: QueryTypes.BULKDELETE,
      transaction,
      replacements: { ids: events.map((e) => parseIntOr(e.id, 0)) },
    });
    const rows = committedRows(planned, ids, leased);
    const used = new Set(planned.map((r) => r.webhookId));
    return { events: events.length, rows, webhooks: webhooks.filter((w) => used.has(w.id)) };
  });
}
