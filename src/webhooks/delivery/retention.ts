import cron, { type ScheduledTask } from 'node-cron';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Logger } from '../../logger.js';

/** How often the pruner runs: hourly, at a minute unlikely to coincide with other hourly jobs. */
export const DEFAULT_RETENTION_CRON = '0 17 * * * *';

/** Rows deleted per statement: small enough that each delete holds its row locks for milliseconds. */
export const DEFAULT_RETENTION_BATCH = 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  sequelize: Sequelize;
  /** DELIVERY_RETENTION_DAYS; 0 keeps delivery logs forever. */
  retentionDays: number;
  logger?: Logger;
  /** node-cron expression; default hourly. */
  cron?: string;
  batchSize?: number;
  /** Pause between batches so writers queued behind a batch get the table first. */
  pauseMs?: number;
}

export interface PruneResult {
  /** Delivery rows deleted (their attempts go with them). */
  deleted: number;
  batches: number;
  /** The longest single batch, in ms: the longest any writer could have waited on the pruner. */
  longestBatchMs: number;
}

export interface RetentionPruner {
  /** Deletes finished deliveries created before `now - retentionDays`, batch by batch. */
  pruneOnce(now?: Date): Promise<PruneResult>;
  /** Schedules pruneOnce on the cron expression. */
  start(): void;
  /** Unschedules and waits for a running prune to finish its current batch. */
  stop(): Promise<void>;
}

/**
 * Prunes old delivery logs. Only `delivered` and `failed` rows go: a `pending` row is a promise
 * still to keep (a disabled webhook's held retry, say), so age never deletes it.
 *
 * Each batch picks up to `batchSize` ids by primary key, below the highest id that is old enough,
 * and deletes them (attempts first) in one short transaction; nothing scans or locks the whole table.
 *
 * @example
 * const pruner = createRetentionPruner({ sequelize, retentionDays: config.DELIVERY_RETENTION_DAYS, logger });
 * pruner.start(); // ... await pruner.stop();
 */
export function createRetentionPruner(options: RetentionOptions): RetentionPruner {
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH;
  const pauseMs = options.pauseMs ?? 50;
  const { sequelize, logger } = options;
  let task: ScheduledTask | null = null;
  let running: Promise<PruneResult> | null = null;
  let stopping = false;

  async function prune(now: Date): Promise<PruneResult> {
    const result: PruneResult = { deleted: 0, batches: 0, longestBatchMs: 0 };
    if (!(options.retentionDays > 0)) return result;
    const cutoff = new Date(now.getTime() - options.retentionDays * DAY_MS);
    // Served by the created_at index. Rows above this id are newer (ids grow with time), so the
    // batches below walk a bounded primary-key range instead of the whole table.
    const [bound] = await sequelize.query<{ max_id: number | string | null }>(
      'SELECT MAX(id) AS max_id FROM webhook_deliveries WHERE created_at < ?',
      { replacements: [cutoff], type: QueryTypes.SELECT },
    );
    const maxId = bound?.max_id == null ? null : Number(bound.max_id);
    if (maxId === null) return result;

    let afterId = 0;
    while (!stopping) {
      const started = performance.now();
      const rows = await sequelize.query<{ id: number | string }>(
        `SELECT id FROM webhook_deliveries
          WHERE id > ? AND id <= ? AND created_at < ? AND status IN ('delivered', 'failed')
          ORDER BY id LIMIT ?`,
        { replacements: [afterId, maxId, cutoff, batchSize], type: QueryTypes.SELECT },
      );
      if (rows.length === 0) break;
      const ids = rows.map((r) => Number(r.id));
      await sequelize.transaction(async (transaction) => {
        // Explicit, rather than trusting ON DELETE CASCADE: SQLite only cascades with foreign_keys on.
        await sequelize.query('DELETE FROM webhook_delivery_attempts WHERE delivery_row_id IN (?)', { replacements: [ids], transaction });
        // Re-checks the status: a row redelivered since the SELECT is pending again and stays.
        await sequelize.query(`DELETE FROM webhook_deliveries WHERE id IN (?) AND status IN ('delivered', 'failed')`, {
          replacements: [ids],
          transaction,
        });
      });
      result.deleted += ids.length;
      result.batches += 1;
      result.longestBatchMs = Math.max(result.longestBatchMs, performance.now() - started);
      afterId = ids[ids.length - 1]!;
      if (ids.length < batchSize) break;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return result;
  }

  const pruner: RetentionPruner = {
    pruneOnce(now = new Date()) {
      // One prune at a time: a slow run and the next cron tick must not race over the same rows.
      running ??= prune(now).finally(() => {
        running = null;
      });
      return running;
    },
    start() {
      if (task || !(options.retentionDays > 0)) return;
      stopping = false;
      task = cron.schedule(options.cron ?? DEFAULT_RETENTION_CRON, async () => {
        try {
          const result = await pruner.pruneOnce();
          if (result.deleted > 0) logger?.info({ ...result, retentionDays: options.retentionDays }, 'pruned old delivery logs');
        } catch (err) {
          logger?.error({ err }, 'delivery log pruning failed; will retry at the next run');
        }
      }, { name: 'webhook-delivery-retention', noOverlap: true });
    },
    async stop() {
      stopping = true;
      await task?.stop();
      await task?.destroy();
      task = null;
      await running?.catch(() => undefined);
    },
  };
  return pruner;
}
