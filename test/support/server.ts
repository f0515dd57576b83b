import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createLiveChatServer, type LiveChatServer } from '../../src/server.js';
import { createTestDatabase, type TestDialect } from './databases.js';

export const TEST_API_KEY = 'test-admin-key-0123456789abcdef';

export interface TestServer {
  server: LiveChatServer;
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Graceful close of the server, then the database and data folder are removed. */
  stop(): Promise<void>;
}

/**
 * A real server on an ephemeral port with its own database and data folder. `env` overrides
 * variables (strings, as in the environment). Pass `databaseUrl` to share a database between
 * servers; it is then not dropped by `stop()`.
 */
export async function startTestServer(dialect: TestDialect, env: Record<string, string> = {}, databaseUrl?: string): Promise<TestServer> {
  const db = databaseUrl ? null : await createTestDatabase(dialect);
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-data-'));
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: databaseUrl ?? db!.url,
    ADMIN_API_KEY: TEST_API_KEY,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
    ...env,
  });
  const server = await createLiveChatServer(config, { print: () => {} });
  const port = await server.listen();
  return {
    server,
    config,
    port,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
