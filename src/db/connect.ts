import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import type { Config } from '../config.js';

export type Dialect = 'mysql' | 'sqlite';

/** Marks a Sequelize whose MySQL connections all run READ COMMITTED already (opened by connectDatabase). */
export const SESSION_READ_COMMITTED = Symbol.for('livechat.sessionReadCommitted');
type SessionReadCommitted = Sequelize & { [SESSION_READ_COMMITTED]?: boolean };

/** True when every connection of `sequelize` is READ COMMITTED for the session. */
export function hasSessionReadCommitted(sequelize: Sequelize): boolean {
  return (sequelize as SessionReadCommitted)[SESSION_READ_COMMITTED] === true;
}

/**
 * Opens the database named by DATABASE_URL: MySQL/MariaDB through mysql2, or an SQLite file
 * (its folder is created on first start). Times are stored in UTC with millisecond precision.
 */
export async function connectDatabase(database: Config['DATABASE_URL'], options: { poolMax?: number } = {}): Promise<Sequelize> {
  const common: Options = { logging: false, timezone: '+00:00', define: { underscored: true } };
  let sequelize: Sequelize;
  if (database.dialect === 'sqlite') {
    if (database.storage !== ':memory:') mkdirSync(dirname(database.storage), { recursive: true });
    sequelize = new Sequelize({
      ...common,
      dialect: 'sqlite',
      storage: database.storage,
      // SQLite has one writer; concurrent transactions wait instead of failing at once.
      retry: { match: [/SQLITE_BUSY/], max: 20 },
    });
    configureSqliteConnections(sequelize);
  } else {
    sequelize = new Sequelize(database.url, {
      ...common,
      dialect: 'mysql',
      pool: { max: options.poolMax ?? 20, min: 0, idle: 10_000, acquire: 10_000 },
      // maxPreparedStatements: each connection keeps at most 64 (the outbox's insert is one statement
      // per row count); the server's max_prepared_stmt_count (16,382) is shared by every connection.
      dialectOptions: { connectTimeout: 5_000, charset: 'utf8mb4', maxPreparedStatements: 64 },
    });
    // Every transaction of ours runs READ COMMITTED (see writeTransaction): set once per
    // connection rather than with a SET TRANSACTION round trip before each one.
    sequelize.addHook('afterConnect', async (connection: unknown) => {
      const c = connection as { promise(): { query(sql: string): Promise<unknown> } };
      await c.promise().query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    });
    (sequelize as SessionReadCommitted)[SESSION_READ_COMMITTED] = true;
  }
  await sequelize.authenticate();
  return sequelize;
}

type SqliteConnection = { exec(sql: string, cb: (err: Error | null) => void): void };

/**
 * Sequelize's SQLite connection manager opens one connection per transaction and never runs the
 * `afterConnect` hook, so every new connection is given its PRAGMAs here: wait up to 5 s for the
 * write lock instead of failing with SQLITE_BUSY, enforce foreign keys, and use WAL so readers
 * never block the writer.
 */
function configureSqliteConnections(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as { getConnection(options?: unknown): Promise<SqliteConnection> };
  const getConnection = manager.getConnection.bind(manager);
  const configured = new WeakSet<SqliteConnection>();
  manager.getConnection = async (options?: unknown) => {
    const connection = await getConnection(options);
    if (!configured.has(connection)) {
      configured.add(connection);
      await new Promise<void>((resolve, reject) =>
        connection.exec('PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;', (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    }
    return connection;
  };
}

export function dialectOf(sequelize: Sequelize): Dialect {
  return sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
}
