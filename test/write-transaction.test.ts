import { QueryTypes, Sequelize } from 'sequelize';
import { loadConfig } from '../src/config.js';
import { connectDatabase } from '../src/db/connect.js';
import { writeTransaction } from '../src/db/write-queue.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

/**
 * writeTransaction runs READ COMMITTED on MariaDB (so a burst of inserts takes no gap locks): on
 * our own connections the session is set once per connection, on a host's Sequelize the
 * transaction sets it. Statements are counted to show the saved round trip.
 */
describe('writeTransaction isolation on MariaDB', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** The isolation level InnoDB reports for the transaction itself (SET TRANSACTION does not change @@tx_isolation). */
  const isolationInside = async (sequelize: Sequelize) => {
    await sequelize.query('CREATE TABLE IF NOT EXISTS probe (id INT PRIMARY KEY) ENGINE=InnoDB', { logging: false });
    await sequelize.query('INSERT IGNORE INTO probe VALUES (1)', { logging: false });
    const level = await writeTransaction(sequelize, async (transaction) => {
      await sequelize.query('SELECT id FROM probe FOR UPDATE', { transaction, logging: false });
      const [row] = await sequelize.query<{ level: string }>(
        'SELECT trx_isolation_level AS level FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = CONNECTION_ID()',
        { type: QueryTypes.SELECT, transaction, logging: false },
      );
      return row!.level;
    });
    return { level };
  };

  it('is READ COMMITTED on connectDatabase’s connections, with no SET TRANSACTION per transaction', async () => {
    const sent: string[] = [];
    const sequelize = await connectDatabase(loadConfig({ DATABASE_URL: db.url }).DATABASE_URL);
    (sequelize as unknown as { options: { logging: unknown } }).options.logging = (sql: string) => sent.push(sql);
    try {
      for (let i = 0; i < 3; i++) expect((await isolationInside(sequelize)).level).toBe('READ COMMITTED');
      expect(sent.filter((sql) => /SET TRANSACTION ISOLATION/i.test(sql))).toEqual([]);
      expect(sent.filter((sql) => /START TRANSACTION/i.test(sql))).toHaveLength(3);
    } finally {
      await sequelize.close();
    }
  });

  it('asks for READ COMMITTED on a host’s own Sequelize (REPEATABLE READ by default) with SET TRANSACTION', async () => {
    const sent: string[] = [];
    const sequelize = new Sequelize(db.url, { logging: (sql: string) => sent.push(sql), dialect: 'mysql' });
    try {
      await writeTransaction(sequelize, (transaction) => sequelize.query('SELECT 1', { transaction }));
      expect(sent.map((sql) => sql.replace(/^Executing \([^)]*\): /, ''))).toEqual([
        'SET TRANSACTION ISOLATION LEVEL READ COMMITTED;',
        'START TRANSACTION;',
        'SELECT 1',
        'COMMIT;',
      ]);
    } finally {
      await sequelize.close();
    }
  });
});
