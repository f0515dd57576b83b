import type { Sequelize, Transaction } from 'sequelize';
import type { HookPayload } from '../../hooks.js';
import type { ClaimedDelivery, NewDelivery } from '../db/delivery-rows.js';
import { committedRows, insertDeliveries } from '../db/insert-deliveries.js';
import { busyGroups, groupKey, type OrderGroup } from '../db/order.js';
import type { WebhookRecord } from '../db/webhook-store.js';
import { planDeliveries } from '../events/plan.js';

/** Deliveries of one committed event, for whoever makes their first attempt. */
export interface CommittedRow {
  deliveryId: string;
  webhookId: number;
  /** The row as inserted already leased (see FanOutOptions.lease): it is sent without a claim. */
  claimed?: ClaimedDelivery;
}

type Lease = { owner: string; until: Date };

export interface FanOut {
  rows: CommittedRow[];
  /** The webhooks the rows go to. */
  webhooks: WebhookRecord[];
}

export interface FanOutOptions {
  now: Date;
  publicUrl?: string;
  /**
   * Insert the rows leased to this owner, so they are sent without a claim (null: their ids cannot
   * be known, see insertIdsAreConsecutive). A function is asked only when the events make rows.
   */
  lease: Lease | null | (() => Promise<Lease | null>);
  /** The chat's transaction (outbox write) or the fan-out's own. */
  transaction?: Transaction;
  /** Without a transaction: runs the insert through the plugin's database gate. */
  gate?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** The rows these events make for these webhooks (pure). */
export function planEvents(payloads: readonly HookPayload[], webhooks: readonly WebhookRecord[], options: Pick<FanOutOptions, 'now' | 'publicUrl'>): NewDelivery[] {
  const rows: NewDelivery[] = [];
  for (const payload of payloads) rows.push(...planDeliveries(payload, webhooks, { now: options.now, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) }).rows);
  return rows;
}

/**
 * The one fan-out both modes share: one delivery per subscribed webhook and event, rendered now,
 * every row in one insert (leased when a lease is given), answered as the engine sends them.
 */
export async function fanOut(sequelize: Sequelize, payloads: readonly HookPayload[], webhooks: readonly WebhookRecord[], options: FanOutOptions): Promise<FanOut> {
  const planned = planEvents(payloads, webhooks, options);
  if (planned.length === 0) return { rows: [], webhooks: [] };
  const lease = typeof options.lease === 'function' ? await options.lease() : options.lease;
  const { transaction, gate } = options;
  const write = async () => {
    const leased = lease ? leaseHeads(planned, lease, await busyGroups(sequelize, orderGroups(planned), transaction)) : planned;
    return { leased, ids: await insertDeliveries(sequelize, leased, transaction) };
  };
  const { leased, ids } = transaction || !gate ? await write() : await gate(write);
  const used = new Set(planned.map((r) => r.webhookId));
  return { rows: committedRows(leased, ids), webhooks: webhooks.filter((w) => used.has(w.id)) };
}

function orderGroups(rows: readonly NewDelivery[]): OrderGroup[] {
  return rows.flatMap((r) => (r.conversationId == null ? [] : [{ webhookId: r.webhookId, conversationId: r.conversationId }]));
}

/**
 * Leases the rows that may be sent at once: every row outside the order, and a conversation's
 * first row for a webhook when nothing of that conversation is pending there (`busy`). The others
 * are inserted unleased: the claim that follows the commit finds them behind their head and leaves them.
 */
export function leaseHeads(rows: readonly NewDelivery[], lease: Lease, busy: ReadonlySet<string>): NewDelivery[] {
  const taken = new Set(busy);
  return rows.map((r) => {
    if (r.conversationId == null) return { ...r, lease };
    const key = groupKey({ webhookId: r.webhookId, conversationId: r.conversationId });
    if (taken.has(key)) return r;
    taken.add(key);
    return { ...r, lease };
  });
}
