import type { Sequelize } from 'sequelize';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateUp } from '../../src/db/migrate.js';
import { coreMigrations, webhookMigrations } from '../../migrations/index.js';
import { createBenchDatabase } from './database.js';

/**
 * The naive queue's own database: the project's tables, opened with the project's pool settings,
 * and one webhook row to hang the deliveries on.
 */
export async function naiveDatabase(url: string): Promise<{ sequelize: Sequelize; webhookId: number; stop(): Promise<void> }> {
  const db = await createBenchDatabase();
  const sequelize = await connectDatabase({ dialect: 'mysql', storage: '', url: db.url });
  await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
  const now = new Date();
  const [webhookId] = await sequelize.query(
    `INSERT INTO webhooks (name, url, events, is_active, format, consecutive_failures, created_at, updated_at)
     VALUES ('naive', ?, '["message.received"]', true, 'json', 0, ?, ?)`,
    { replacements: [url, now, now] },
  );
  return {
    sequelize,
    webhookId: Number(webhookId),
    stop: async () => {
      await sequelize.close();
      await db.drop();
    },
  };
}
