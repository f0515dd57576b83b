import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLiveChatServer, type LiveChatServer } from '../../src/server.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';

export const BENCH_API_KEY = 'bench-admin-key-0123456789abcdef';

/**
 * The environment of every benchmarked server: receivers on 127.0.0.1 are allowed, and the
 * per-visitor rate limits are lifted because all visitors come from one address at 200+ msg/s.
 */
export function benchEnv(databaseUrl: string, dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    DATABASE_URL: databaseUrl,
    ADMIN_API_KEY: BENCH_API_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
    WIDGET_MESSAGES_PER_MINUTE: '100000',
    WIDGET_CONVERSATIONS_PER_HOUR: '100000',
    ...overrides,
    ...extraEnv(),
  };
}

/** BENCH_SERVER_ENV="WEBHOOK_WORKER=inline,WEBHOOK_CONCURRENCY=16": variables for every benchmarked server, for experiments. */
function extraEnv(): Record<string, string> {
  const spec = process.env.BENCH_SERVER_ENV ?? '';
  return Object.fromEntries(spec.split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]));
}

export interface BenchServer {
  server: LiveChatServer;
  db: BenchDatabase;
  /** http://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** The real server, in this process, on a fresh MariaDB database and data folder. */
export async function startBenchServer(overrides: Record<string, string> = {}): Promise<BenchServer> {
  const db = await createBenchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-bench-'));
  try {
    const server = await createLiveChatServer(loadConfig(benchEnv(db.url, dataDir, overrides)), { print: () => {} });
    const port = await server.listen();
    return {
      server,
      db,
      url: `http://127.0.0.1:${port}`,
      stop: async () => {
        await server.close();
        await db.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
