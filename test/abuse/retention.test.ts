import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateUp } from '../../src/db/migrate.js';
import { coreMigrations, webhookMigrations } from '../../migrations/index.js';
import { createRetentionPruner, DEFAULT_RETENTION_BATCH } from '../../src/webhooks/delivery/retention.js';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2030-06-15T12:00:00.000Z');

describe.each(dialects)('delivery log retention (%s)', (dialect) => {
  let db: TestDatabase;
  let sequelize: Sequelize;
  let webhookId: number;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url }).DATABASE_URL);
    await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
    await sequelize.getQueryInterface().bulkInsert('webhooks', [
      { name: 'retention', url: 'https://example.com/hook', events: '["message.received"]', is_active: true, format: 'json', consecutive_failures: 0, created_at: NOW, updated_at: NOW },
    ]);
    const [row] = await sequelize.query<{ id: number }>('SELECT id FROM webhooks', { type: QueryTypes.SELECT });
    webhookId = Number(row!.id);
  });

  afterAll(async () => {
    await sequelize?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await sequelize.query('DELETE FROM webhook_delivery_attempts');
    await sequelize.query('DELETE FROM webhook_deliveries');
  });

  /** Inserts `count` deliveries created `ageDays` before `base`, each with one attempt. */
  async function seed(count: number, ageDays: number, status: 'delivered' | 'failed' | 'pending', base = NOW): Promise<void> {
    const createdAt = new Date(base.getTime() - ageDays * DAY);
    const qi = sequelize.getQueryInterface();
    for (let offset = 0; offset < count; offset += 500) {
      const rows = Array.from({ length: Math.min(500, count - offset) }, () => ({
        delivery_id: randomUUID(), webhook_id: webhookId, event: 'message.received', body: '{}', is_test: false, status,
        attempt_number: 1, next_attempt_at: createdAt, created_at: createdAt, updated_at: createdAt,
      }));
      await qi.bulkInsert('webhook_deliveries', rows);
    }
    await sequelize.query(
      `INSERT INTO webhook_delivery_attempts (delivery_row_id, attempt_number, request_headers, response_status, duration_ms, cause, created_at)
       SELECT id, 1, '{}', 200, 5, 'ok', created_at FROM webhook_deliveries d
        WHERE NOT EXISTS (SELECT 1 FROM webhook_delivery_attempts a WHERE a.delivery_row_id = d.id)`,
    );
  }

  async function count(sql: string): Promise<number> {
    const [row] = await sequelize.query<{ n: number | string }>(sql, { type: QueryTypes.SELECT });
    return Number(row!.n);
  }

  it('deletes finished deliveries older than the retention age, with their attempts, in batches of 1,000', async () => {
    await seed(1200, 45, 'delivered');
    await seed(1300, 31, 'failed');
    await seed(300, 29, 'delivered');
    await seed(40, 60, 'pending');
    const pruner = createRetentionPruner({ sequelize, retentionDays: 30, pauseMs: 0 });

    const result = await pruner.pruneOnce(NOW);

    expect(result.deleted).toBe(2500);
    expect(result.batches).toBe(Math.ceil(2500 / DEFAULT_RETENTION_BATCH));
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'`)).toBe(300);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'failed'`)).toBe(0);
    // A pending row is a retry still owed (a disabled webhook's held delivery): age never drops it.
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`)).toBe(40);
    expect(await count('SELECT COUNT(*) AS n FROM webhook_delivery_attempts')).toBe(340);
    expect(await count('SELECT COUNT(*) AS n FROM webhook_delivery_attempts a LEFT JOIN webhook_deliveries d ON d.id = a.delivery_row_id WHERE d.id IS NULL')).toBe(0);

    // Nothing left to do: a second run deletes nothing.
    expect((await pruner.pruneOnce(NOW)).deleted).toBe(0);
  });

  it('honours a configured age and keeps everything when it is 0', async () => {
    await seed(10, 8, 'delivered');
    await seed(10, 6, 'delivered');
    expect((await createRetentionPruner({ sequelize, retentionDays: 0 }).pruneOnce(NOW)).deleted).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM webhook_deliveries')).toBe(20);
    expect((await createRetentionPruner({ sequelize, retentionDays: 7 }).pruneOnce(NOW)).deleted).toBe(10);
    expect(await count('SELECT COUNT(*) AS n FROM webhook_deliveries')).toBe(10);
  });

  it('never holds the table for long: writers keep going while 5,000 rows are pruned', async () => {
    await seed(5000, 40, 'delivered');
    const pruner = createRetentionPruner({ sequelize, retentionDays: 30, batchSize: 1000, pauseMs: 20 });
    const writes: number[] = [];
    let pruning = true;
    const writer = (async () => {
      while (pruning) {
        const started = performance.now();
        await sequelize.getQueryInterface().bulkInsert('webhook_deliveries', [
          { delivery_id: randomUUID(), webhook_id: webhookId, event: 'message.received', body: '{}', is_test: false, status: 'pending',
            attempt_number: 0, next_attempt_at: NOW, created_at: NOW, updated_at: NOW },
        ]);
        writes.push(performance.now() - started);
      }
    })();
    const result = await pruner.pruneOnce(NOW).finally(() => {
      pruning = false;
    });
    await writer;

    expect(result.deleted).toBe(5000);
    expect(result.batches).toBe(5);
    expect(writes.length).toBeGreaterThan(0);
    // One batch of 1,000 takes tens of ms; a whole-table delete would block the writer for all of them.
    expect(Math.max(...writes)).toBeLessThan(2000);
    expect(result.longestBatchMs).toBeLessThan(2000);
    expect(await count(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`)).toBe(writes.length);
  });

  it('runs on its node-cron schedule until stopped', async () => {
    await seed(30, 40, 'failed', new Date());
    const pruner = createRetentionPruner({ sequelize, retentionDays: 30, cron: '* * * * * *' });
    pruner.start();
    try {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await count('SELECT COUNT(*) AS n FROM webhook_deliveries')) > 0) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await pruner.stop();
    }
    expect(await count('SELECT COUNT(*) AS n FROM webhook_deliveries')).toBe(0);
  });
});
