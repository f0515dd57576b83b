import { ForeignKeyConstraintError, type Sequelize, type Transaction } from 'sequelize';
import type { HookPayload } from '../../hooks.js';
import { insertIdsAreConsecutive } from '../db/insert-deliveries.js';
import { listActiveWebhooks, type WebhookRecord } from '../db/webhook-store.js';
import type { Clock } from '../http/sender.js';
import { fanOut, type CommittedRow, type FanOut } from './fan-out.js';

export type { CommittedRow } from './fan-out.js';

export interface OutboxOptions {
  sequelize: Sequelize;
  clock: Clock;
  publicUrl?: string;
  /**
   * A new lease for an event's rows: they are inserted already leased, so that their first
   * attempts need no claim transaction (MySQL with consecutive insert ids only). Whoever is told
   * of them must send them or hand them back; a crash leaves them due when the lease ends.
   */
  lease?: (now: Date) => { owner: string; until: Date };
  /** Runs a database operation of the plugin's own (not inside the chat's transaction) through its gate. */
  db: <T>(work: () => Promise<T>) => Promise<T>;
  /** Told of every event's rows once they are committed (or at once when there is no transaction). */
  committed: (rows: CommittedRow[], webhooks: WebhookRecord[]) => void;
}

/**
 * The outbox writer: turns a chat event into one pending delivery per subscribed webhook, written
 * inside the chat's transaction, and hands the rows on after the commit.
 */
export class Outbox {
  readonly #options: OutboxOptions;

  constructor(options: OutboxOptions) {
    this.#options = options;
  }

  /** Writes the event's deliveries in `transaction` (when given); the first attempts start after its commit. */
  async enqueue(payload: HookPayload, transaction?: Transaction): Promise<void> {
    const { sequelize, clock, publicUrl } = this.#options;
    const now = clock.now();
    const newLease = this.#options.lease;
    // Asked (once the event has rows) on the chat's connection, as the webhooks are (once per Sequelize).
    const lease = async () => (newLease && (await insertIdsAreConsecutive(sequelize, transaction)) ? newLease(now) : null);
    // The outbox write runs in the chat's transaction, on its connection, and must not wait for the gate.
    const write = async (): Promise<FanOut> =>
      fanOut(sequelize, [payload], await this.webhooks(transaction), {
        now,
        ...(publicUrl ? { publicUrl } : {}),
        lease,
        ...(transaction ? { transaction } : { gate: this.#options.db }),
      });
    let written: FanOut;
    try {
      written = await write();
    } catch (err) {
      // A webhook deleted by another process since the list was read. Only the statement failed
      // (MySQL and SQLite keep the transaction), so try once more with a fresh list.
      if (!(err instanceof ForeignKeyConstraintError)) throw err;
      written = await write();
    }
    if (written.rows.length === 0) return;
    // Inserted leased, with known ids: the first attempts are sent as they stand, no claim needed.
    const rows: CommittedRow[] = written.rows;
    const webhooks = written.webhooks;
    // The first attempt starts right after the commit, off the chat's path: the ack never waits for HTTP.
    if (transaction) transaction.afterCommit(() => this.#options.committed(rows, webhooks));
    else this.#options.committed(rows, webhooks);
  }

  /**
   * The enabled webhooks, read for every event inside the chat's transaction (on its connection: a
   * burst of chat writes holding every pool connection must not wait for one more). Never from a
   * per-process cache: another instance may have created, enabled or re-pointed a webhook a moment
   * ago, and an event planned from a stale list would be acknowledged but never delivered, or sent
   * to the old URL with the old secret.
   */
  webhooks(transaction?: Transaction): Promise<WebhookRecord[]> {
    const { sequelize } = this.#options;
    // SQLite: read outside the transaction (WAL readers never wait). A read inside a deferred
    // transaction would make its insert an upgrade, which fails at once (SQLITE_BUSY) when the
    // engine has written in between, instead of waiting for the lock.
    // Either way a chat event's read never queues behind the engine's own database work.
    if (transaction) return listActiveWebhooks(sequelize, sequelize.getDialect() === 'sqlite' ? undefined : transaction);
    return this.#options.db(() => listActiveWebhooks(sequelize));
  }
}
