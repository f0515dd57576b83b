import { QueryTypes, type Sequelize } from 'sequelize';
import { connectDatabase } from '../src/db/connect.js';
import { loadConfig } from '../src/config.js';
import { migrator } from '../src/db/migrate.js';
import { coreMigrations, webhookMigrations } from '../migrations/index.js';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases.js';

const all = [...coreMigrations, ...webhookMigrations];

describe.each(dialects)('migrations on %s', (dialect) => {
  let db: TestDatabase;
  let sequelize: Sequelize;
  const tables = async () =>
    (await sequelize.getQueryInterface().showAllTables()).map(String).filter((t) => t !== 'sequelize_meta').sort();

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url }).DATABASE_URL);
  });
  afterAll(async () => {
    await sequelize?.close();
    await db?.drop();
  });

  it('apply in order, revert one by one to an empty database, and apply again', async () => {
    const umzug = migrator(sequelize, all);
    expect((await umzug.up()).map((m) => m.name)).toEqual(all.map((m) => m.name));
    expect(await tables()).toEqual(['agents', 'api_keys', 'conversation_terms', 'conversations', 'messages', 'visitors', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_events', 'webhooks']);
    for (let i = all.length - 1; i >= 0; i--) {
      expect((await umzug.down()).map((m) => m.name)).toEqual([all[i]!.name]);
    }
    expect(await tables()).toEqual([]);
    expect(await umzug.up()).toHaveLength(all.length);
    expect(await umzug.pending()).toHaveLength(0);
  });

  it('index the queries that must not scan: the sweeper claim and a webhook\'s delivery log', async () => {
    const names = dialect === 'sqlite'
      ? (await sequelize.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'webhook_deliveries'", { type: QueryTypes.SELECT })).map((r) => r.name)
      : (await sequelize.query<{ Key_name: string }>('SHOW INDEX FROM webhook_deliveries', { type: QueryTypes.SELECT })).map((r) => r.Key_name);
    expect(names).toEqual(expect.arrayContaining(['webhook_deliveries_due', 'webhook_deliveries_webhook_id', 'webhook_deliveries_webhook_status', 'webhook_deliveries_created']));
  });
});
