import mysql from 'mysql2/promise';

/** Runs one query on the scenario's database with a connection of its own (not the server's pool). */
export async function sql<T = Record<string, unknown>>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const conn = await mysql.createConnection({ uri: databaseUrl, timezone: 'Z', dateStrings: false });
  try {
    const [rows] = await conn.query(text, values);
    return rows as T[];
  } finally {
    await conn.end();
  }
}
