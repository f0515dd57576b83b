import type { Sequelize } from 'sequelize';
import { writeTransaction } from '../../db/write-queue.js';
import { deleteEvents, takeEvents } from '../db/fan-out-events.js';
import { listActiveWebhooks } from '../db/webhook-store.js';
import { fanOut, type FanOut } from './fan-out.js';

export interface EventFanOutOptions {
  /** These events (just committed), or else the oldest left behind (a worker that died, another instance's). */
  ids?: readonly number[];
  limit: number;
  now: Date;
  publicUrl?: string;
  /** See FanOutOptions.lease. */
  lease: { owner: string; until: Date } | null;
}

/**
 * Turns events of the event table into delivery rows in ONE transaction: the events are locked
 * (another instance skips them), the enabled webhooks read as they stand now, every row inserted in
 * one statement, and the events deleted. An event is fanned out exactly once, even by two processes at once.
 */
export async function fanOutEvents(sequelize: Sequelize, options: EventFanOutOptions): Promise<FanOut & { events: number }> {
  if (options.ids?.length === 0) return { events: 0, rows: [], webhooks: [] };
  return writeTransaction(sequelize, async (transaction) => {
    const events = await takeEvents(sequelize, { ...(options.ids ? { ids: options.ids } : {}), limit: options.limit }, transaction);
    // Older events left in the table come first; these ids are taken too, in the same transaction.
    const wanted = new Set(options.ids ?? []);
    for (const e of events) wanted.delete(e.id);
    while (wanted.size > 0 && events.length > 0) {
      const more = await takeEvents(sequelize, { ids: [...wanted], limit: options.limit, after: events[events.length - 1]!.id }, transaction);
      if (more.length === 0) break;
      for (const e of more) wanted.delete(e.id);
      events.push(...more);
    }
    if (events.length === 0) return { events: 0, rows: [], webhooks: [] };
    const webhooks = await listActiveWebhooks(sequelize, transaction);
    const written = await fanOut(sequelize, events.map((e) => e.payload), webhooks, {
      now: options.now,
      ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
      lease: options.lease,
      transaction,
    });
    await deleteEvents(sequelize, events.map((e) => e.id), transaction);
    return { events: events.length, ...written };
  });
}
