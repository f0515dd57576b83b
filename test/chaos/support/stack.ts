import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/databases.js';
import { TEST_API_KEY } from '../../support/server.js';
import { ChildServer, freePort } from './child-server.js';

export { TEST_API_KEY };

/**
 * One scenario's world: its own MariaDB database, data folder and log folder, and the settings
 * that make faults show within seconds (sweeper every second, short leases and timeouts, retry
 * delays of a second, rate limits out of the way of the load).
 */
export class ChaosStack {
  readonly appKey = randomBytes(32).toString('hex');
  readonly dir = mkdtempSync(join(tmpdir(), 'livechat-chaos-'));
  readonly servers: ChildServer[] = [];

  private constructor(readonly db: TestDatabase) {}

  static async create(): Promise<ChaosStack> {
    return new ChaosStack(await createTestDatabase('mysql'));
  }

  /** The environment of a child server; `overrides` win. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      ADMIN_API_KEY: TEST_API_KEY,
      APP_KEY: this.appKey,
      DATA_DIR: join(this.dir, 'data'),
      LOG_LEVEL: 'info',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
      WEBHOOK_SWEEP_CRON: '* * * * * *',
      WEBHOOK_LEASE_MS: '3000',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_DELAYS: Array(12).fill('1').join(','),
      WEBHOOK_DISABLE_AFTER_FAILURES: '0',
      WEBHOOK_DISABLE_AFTER_DAYS: '0',
      WIDGET_MESSAGES_PER_MINUTE: '100000',
      WIDGET_CONVERSATIONS_PER_HOUR: '100000',
      ...overrides,
    };
  }

  /** A child server on a free port (not started). */
  async server(name: string, overrides: Record<string, string> = {}): Promise<ChildServer> {
    const server = new ChildServer(await freePort(), this.env(overrides), join(this.dir, `${name}.log`));
    this.servers.push(server);
    return server;
  }

  /** Kills what is left, drops the database; the log folder stays when KEEP_CHAOS_LOGS is set. */
  async dispose(): Promise<void> {
    for (const server of this.servers) await server.dispose();
    await this.db.drop();
    if (!process.env.KEEP_CHAOS_LOGS) rmSync(this.dir, { recursive: true, force: true });
  }
}
