/**
 * The chart's query and the /metrics backlog query against a big table (issue 16): seeds
 * 1,000,000 attempts (2 per delivery, 500,000 deliveries, all of one webhook and all within the
 * last 24 hours: the worst case, the whole index range in the window), then times
 * AttemptStats.hourly (24 h), pendingBacklog and the webhook list, and prints the chart query's EXPLAIN.
 *
 *   npx tsx bench/chart-query.ts            # BENCH_MYSQL_URL to use another server
 */
import { QueryTypes } from 'sequelize';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { migrateUp } from '../src/db/migrate.js';
import { coreMigrations, webhookMigrations } from '../migrations/index.js';
import { AttemptStats } from '../src/webhooks/db/attempt-stats.js';
import { pendingBacklog } from '../src/webhooks/db/pending-backlog.js';
import { WebhookAdmin } from '../src/webhooks/db/webhook-admin.js';
import { statsWindow } from '../src/webhooks/api/hourly-stats.js';
import { appendDeliveries } from './lib/delivery-table.js';
import { createBenchDatabase } from './lib/database.js';

const DELIVERIES = Number(process.env.CHART_DELIVERIES ?? 500_000);
const RUNS = 7;

const db = await createBenchDatabase();
const sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent' }).DATABASE_URL);
try {
  await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
  for (let i = 1; i <= 10; i++) {
    await sequelize.query(
      `INSERT INTO webhooks (name, url, events, is_active, format, consecutive_failures, created_at, updated_at)
       VALUES (?, 'https://example.com/hook', '["message.received"]', 1, 'json', 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
      { replacements: [`hook ${i}`] },
    );
  }
  let t = performance.now();
  await appendDeliveries(sequelize, 1, DELIVERIES, 1000);
  // Two attempts per delivery, spread over the last 24 hours: 90 % ok, the rest 500s and timeouts.
  for (const attempt of [1, 2]) {
    for (let from = 1; from <= DELIVERIES; from += 100_000) {
      await sequelize.query(
        `INSERT INTO webhook_delivery_attempts
           (delivery_row_id, attempt_number, request_headers, response_status, duration_ms, cause, created_at, webhook_id, is_test)
         SELECT d.id, :attempt, '{}', 200, FLOOR(RAND() * 800),
                CASE WHEN d.id % 10 = 0 THEN 'server_error' WHEN d.id % 37 = 0 THEN 'timeout' ELSE 'ok' END,
                UTC_TIMESTAMP(3) - INTERVAL FLOOR(RAND() * 86399) SECOND, d.webhook_id, 0
           FROM webhook_deliveries d WHERE d.id BETWEEN :from AND :to`,
        { replacements: { attempt, from, to: from + 99_999 } },
      );
    }
  }
  await sequelize.query('ANALYZE TABLE webhook_delivery_attempts, webhook_deliveries');
  const [{ n }] = (await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_delivery_attempts', { type: QueryTypes.SELECT })) as [{ n: number }];
  console.log(`seeded ${n} attempts of ${DELIVERIES} deliveries in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const stats = new AttemptStats(sequelize);
  const time = async (label: string, run: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t = performance.now();
      await run();
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    console.log(`${label}: median ${ms[Math.floor(RUNS / 2)]!.toFixed(0)} ms (min ${ms[0]!.toFixed(0)}, max ${ms.at(-1)!.toFixed(0)}) over ${RUNS} runs`);
  };
  const day = statsWindow(new Date(), 24);
  const hour = statsWindow(new Date(), 1);
  await time('chart query, 24 h of webhook 1 (all 1,000,000 attempts in range)', () => stats.hourly(1, day.since, day.until));
  await time('chart query, current hour of webhook 1', () => stats.hourly(1, hour.since, hour.until));
  await time('chart query, 24 h of webhook 2 (no attempts)', () => stats.hourly(2, day.since, day.until));
  await time('/metrics backlog query (every webhook, ~6,000 pending rows)', () => pendingBacklog(sequelize));
  // The Webhooks page's list: each webhook's newest delivery and its last 24 hours' attempts.
  await time('webhook list (10 webhooks; webhook 1 with every attempt in its 24 h)', () => new WebhookAdmin(sequelize).list(day.since));
  const explain = await sequelize.query<Record<string, unknown>>(
    `EXPLAIN SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H') AS hour, cause, CASE WHEN duration_ms <= 5 THEN 0 ELSE 1 END AS bucket, COUNT(*) AS n
       FROM webhook_delivery_attempts WHERE webhook_id = 1 AND created_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY AND created_at < UTC_TIMESTAMP() AND is_test = 0 GROUP BY 1, 2, 3`,
    { type: QueryTypes.SELECT },
  );
  console.log('EXPLAIN chart query:', explain.map((r) => `${r.table} type=${r.type} key=${r.key} rows=${r.rows} ${r.Extra}`).join(' | '));
} finally {
  await sequelize.close();
  await db.drop();
}
