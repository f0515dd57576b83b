import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { coreMigrations, webhookMigrations } from '../../../migrations/index.js';
import { loadConfig } from '../../../src/config.js';
import { connectDatabase } from '../../../src/db/connect.js';
import { migrateUp } from '../../../src/db/migrate.js';
import { createRetentionPruner } from '../../../src/webhooks/delivery/retention.js';
import { createTestDatabase } from '../../support/databases.js';
import type { ScenarioFigures } from '../support/figures.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Retention at size: `rows` delivery logs past the retention age (each with an attempt) are
 * pruned on MariaDB while a writer keeps queueing new deliveries. Reports the longest batch and
 * the longest the writer ever waited: the pruner must never hold the table for long.
 */
export async function retentionAtSize(options: { rows?: number } = {}): Promise<ScenarioFigures> {
  const rows = options.rows ?? 20_000;
  const db = await createTestDatabase('mysql');
  const sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url }).DATABASE_URL);
  const problems: string[] = [];
  try {
    await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
    const now = new Date();
    const old = new Date(now.getTime() - 45 * DAY);
    const qi = sequelize.getQueryInterface();
    await qi.bulkInsert('webhooks', [{ name: 'old', url: 'https://example.com/hook', events: '["message.received"]', is_active: true, format: 'json', consecutive_failures: 0, created_at: old, updated_at: old }]);
    const [hook] = await sequelize.query<{ id: number }>('SELECT id FROM webhooks', { type: QueryTypes.SELECT });
    const delivery = (createdAt: Date, status: string) => ({
      delivery_id: randomUUID(), webhook_id: hook!.id, event: 'message.received', body: '{"event":"message.received"}', is_test: false,
      status, attempt_number: 1, next_attempt_at: createdAt, created_at: createdAt, updated_at: createdAt,
    });
    for (let i = 0; i < rows; i += 2000) await qi.bulkInsert('webhook_deliveries', Array.from({ length: Math.min(2000, rows - i) }, () => delivery(old, 'delivered')));
    await sequelize.query(
      `INSERT INTO webhook_delivery_attempts (delivery_row_id, attempt_number, request_headers, response_status, duration_ms, cause, created_at)
       SELECT id, 1, '{}', 200, 12, 'ok', created_at FROM webhook_deliveries`,
    );

    const pruner = createRetentionPruner({ sequelize, retentionDays: 30 });
    const waits: number[] = [];
    let pruning = true;
    const writer = (async () => {
      while (pruning) {
        const t0 = performance.now();
        await qi.bulkInsert('webhook_deliveries', [delivery(new Date(), 'pending')]);
        waits.push(performance.now() - t0);
      }
    })();
    const t0 = performance.now();
    const result = await pruner.pruneOnce(now).finally(() => {
      pruning = false;
    });
    const seconds = (performance.now() - t0) / 1000;
    await writer;

    const [left] = await sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE created_at < ?`, { replacements: [new Date(now.getTime() - 30 * DAY)], type: QueryTypes.SELECT });
    const [attemptsLeft] = await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_delivery_attempts', { type: QueryTypes.SELECT });
    if (result.deleted !== rows || Number(left?.n) !== 0) problems.push(`deleted ${result.deleted} of ${rows}, ${left?.n} old rows left`);
    if (Number(attemptsLeft?.n) !== 0) problems.push(`${attemptsLeft?.n} attempts of pruned deliveries left`);
    const longestWait = Math.max(0, ...waits);
    if (longestWait > 2000) problems.push(`a writer waited ${Math.round(longestWait)} ms behind the pruner`);

    return {
      scenario: `Retention prune of ${rows} old delivery logs`,
      sent: 0,
      acknowledged: 0,
      delivered: 0,
      lost: 0,
      duplicates: 0,
      faults: 0,
      details: {
        deleted: result.deleted,
        batches: result.batches,
        'seconds': Math.round(seconds * 10) / 10,
        'longest batch ms': Math.round(result.longestBatchMs),
        'writes meanwhile': waits.length,
        'longest write wait ms': Math.round(longestWait),
      },
      problems,
    };
  } finally {
    await sequelize.close();
    await db.drop();
  }
}
