import { ForeignKeyConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { HookPayload } from '../hooks.js';
import { insertDeliveries } from './db/deliveries.js';
import { listActiveWebhooks, type WebhookRecord } from './db/webhook-store.js';
import { planDeliveries } from './fanout.js';
import type { Clock } from './sender.js';

/** Deliveries of one committed event, for whoever makes their first attempt. */
export interface CommittedRow {
  deliveryId: string;
  webhookId: number;
}

export interface OutboxOptions {
  sequelize: Sequelize;
  clock: Clock;
  /** How long the list of enabled webhooks is trusted before it is read again (other processes may change it). */
  cacheTtlMs: number;
  publicUrl?: string;
  /** Runs a database operation of the plugin's own (not inside the chat's transaction) through its gate. */
  db: <T>(work: () => Promise<T>) => Promise<T>;
  /** Told of every event's rows once they are committed (or at once when there is no transaction). */
  committed: (rows: CommittedRow[], webhooks: WebhookRecord[]) => void;
}

/**
 * The outbox writer: turns a chat event into one pending delivery per subscribed webhook, written
 * inside the chat's transaction, and hands the rows on after the commit. Keeps the enabled
 * webhooks cached, because it runs on every chat message.
 */
export class Outbox {
  readonly #options: OutboxOptions;
  #cache: { webhooks: WebhookRecord[]; loadedAt: number; generation: number } | null = null;
  #loading: Promise<WebhookRecord[]> | null = null;
  #generation = 0;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Writes the event's deliveries in `transaction` (when given); the first attempts start after its commit. */
  async enqueue(payload: HookPayload, transaction?: Transaction): Promise<void> {
    const { sequelize, clock, publicUrl } = this.#options;
    const now = clock.now();
    const plan = async () => planDeliveries(payload, await this.webhooks(transaction), { now, ...(publicUrl ? { publicUrl } : {}) });
    let planned = await plan();
    if (planned.rows.length === 0) return;
    // The outbox write runs in the chat's transaction, on its connection, and must not wait for the gate.
    const insert = (rows: typeof planned.rows) =>
      transaction ? insertDeliveries(sequelize, rows, transaction) : this.#options.db(() => insertDeliveries(sequelize, rows));
    try {
      await insert(planned.rows);
    } catch (err) {
      // A webhook deleted by another process since the cache was filled. Only the statement failed
      // (MySQL and SQLite keep the transaction), so try once more with a fresh list.
      if (!(err instanceof ForeignKeyConstraintError)) throw err;
      this.invalidate();
      planned = await plan();
      await insert(planned.rows);
    }
    const rows = planned.rows.map((r) => ({ deliveryId: r.deliveryId, webhookId: r.webhookId }));
    const webhooks = planned.webhooks;
    // The first attempt starts right after the commit, off the chat's path: the ack never waits for HTTP.
    if (transaction) transaction.afterCommit(() => this.#options.committed(rows, webhooks));
    else this.#options.committed(rows, webhooks);
  }

  /** Forgets the cached list of enabled webhooks. */
  invalidate(): void {
    this.#generation++;
    this.#cache = null;
    this.#loading = null;
  }

  /**
   * The enabled webhooks, cached. A reload inside a chat transaction runs on that transaction's
   * connection: a burst of chat writes holding every pool connection must not wait for one more.
   */
  async webhooks(transaction?: Transaction): Promise<WebhookRecord[]> {
    const cache = this.#cache;
    if (cache && Date.now() - cache.loadedAt < this.#options.cacheTtlMs && cache.generation === this.#generation) return cache.webhooks;
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    const read = () => listActiveWebhooks(this.#options.sequelize, transaction);
    // Inside the chat's transaction the read uses that transaction's connection: no gate.
    const loading = (transaction ? read() : this.#options.db(read)).then(
      (webhooks) => {
        if (generation === this.#generation) this.#cache = { webhooks, loadedAt: Date.now(), generation };
        if (this.#loading === loading) this.#loading = null;
        return webhooks;
      },
      (err: unknown) => {
        if (this.#loading === loading) this.#loading = null;
        throw err;
      },
    );
    this.#loading = loading;
    return loading;
  }
}
