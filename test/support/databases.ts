import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** MariaDB of the test machine; MYSQL_TEST_URL overrides it (a server URL without a database). */
export const mysqlServer = process.env.MYSQL_TEST_URL ?? 'mysql://root@127.0.0.1:3306';

export type TestDialect = 'mysql' | 'sqlite';
export const dialects: TestDialect[] = ['mysql', 'sqlite'];

export interface TestDatabase {
  dialect: TestDialect;
  /** A DATABASE_URL for this test's own empty database. */
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database of its own for one test file: a new MariaDB database with a random
 * name, or a new SQLite file in a temporary folder. `drop()` removes it.
 */
export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'livechat-test-'));
    return { dialect, url: `sqlite:${join(dir, 'test.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `lc_test_${randomBytes(6).toString('hex')}`;
  const conn = await mysql.createConnection(mysqlServer);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return {
    dialect,
    url: `${mysqlServer}/${name}`,
    drop: async () => {
      const c = await mysql.createConnection(mysqlServer);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
