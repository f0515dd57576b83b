import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** The MariaDB server of the benchmark; BENCH_MYSQL_URL overrides it (a server URL without a database). */
export const mysqlServer = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface BenchDatabase {
  /** DATABASE_URL of this database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty MariaDB database for one benchmark; `drop()` removes it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `lc_bench_${randomBytes(5).toString('hex')}`;
  const conn = await mysql.createConnection(mysqlServer);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return {
    name,
    url: `${mysqlServer}/${name}`,
    drop: async () => {
      const c = await mysql.createConnection(mysqlServer);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/** "10.11.6-MariaDB-..." of the benchmark's server, for the report. */
export async function databaseVersion(): Promise<string> {
  const conn = await mysql.createConnection(mysqlServer);
  try {
    const [rows] = await conn.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0]?.version ?? 'unknown');
  } finally {
    await conn.end();
  }
}
