import type { Sequelize } from 'sequelize';
import { insertIdsAreConsecutive } from '../db/insert-deliveries.js';
import type { WebhookRecord } from '../db/webhook-store.js';
import type { Clock } from '../http/sender.js';
import { fanOutEvents } from '../outbox/event-fan-out.js';
import type { CommittedRow } from '../outbox/outbox.js';
import type { Leases } from './leases.js';
import type { DbGate, Runtime } from './runtime.js';

/** Most events one fan-out transaction takes. */
const FAN_OUT_BATCH = 200;

export interface EventIntakeOptions {
  sequelize: Sequelize;
  db: DbGate;
  clock: Clock;
  runtime: Runtime;
  leases: Leases;
  /** Rendering options of the bodies (PUBLIC_URL). */
  render: { publicUrl?: string };
  /** The rows a fan-out committed, to be sent (the dispatcher's sendSoon). */
  committed: (rows: CommittedRow[], webhooks: WebhookRecord[]) => void;
  /** A fan-out failed: logged, and a retry sweep armed. */
  failed: (err: unknown, message: string) => void;
}

/**
 * The event outbox's side of the engine (thread mode, and events another process left behind):
 * fans committed events out to delivery rows and hands those on to be sent.
 */
export class EventIntake {
  /** Committed events waiting for their fan-out (see dispatch). */
  #eventIds: number[] = [];

  constructor(private readonly options: EventIntakeOptions) {}

  /** One fan-out runs at a time: the events committed meanwhile go in the next one. */
  dispatch(eventIds: number[]): void {
    if (this.options.runtime.stopping) return;
    this.#eventIds.push(...eventIds);
    this.options.runtime.drain({
      name: 'fanning out webhook events',
      pending: () => this.#eventIds.length > 0,
      step: async () => {
        await this.#fanOut(this.#eventIds.splice(0, FAN_OUT_BATCH));
      },
      // The events are still in the table: the retry sweep fans them out.
      drop: () => {
        this.#eventIds = [];
      },
    });
  }

  /**
   * Events another process (or a delivery worker that died) left in the event outbox. A failing
   * fan-out must not keep due rows from going out: it is logged and tried again in a second.
   */
  async backlog(): Promise<void> {
    try {
      for (;;) {
        if (this.options.runtime.stopping || (await this.#fanOut(null)) < FAN_OUT_BATCH) break;
      }
    } catch (err) {
      this.options.failed(err, 'fanning out webhook events failed');
    }
  }

  /** One fan-out transaction (these events, or the oldest left behind); answers how many events it took. */
  async #fanOut(ids: number[] | null): Promise<number> {
    const { sequelize, db, clock, leases } = this.options;
    const now = clock.now();
    const lease = (await insertIdsAreConsecutive(sequelize)) ? leases.take(now) : null;
    const result = await db(() => fanOutEvents(sequelize, {
      ...(ids ? { ids } : {}),
      limit: ids?.length ?? FAN_OUT_BATCH,
      now,
      ...this.options.render,
      lease,
    }));
    if (result.rows.length > 0) this.options.committed(result.rows, result.webhooks);
    return result.events;
  }
}
