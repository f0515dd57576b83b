import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Sequelize } from 'sequelize';
import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateUp } from '../../src/db/migrate.js';
import { HookBus } from '../../src/hooks.js';
import { createLogger } from '../../src/logger.js';
import { coreMigrations } from '../../migrations/index.js';
import * as webhooksPlugin from '../../src/webhooks/plugin.js';
import type { WebhookEngine } from '../../src/webhooks/delivery/engine.js';
import { createBenchDatabase } from './database.js';
import { benchEnv } from './server.js';

export interface EngineHost {
  engine: WebhookEngine;
  sequelize: Sequelize;
  /** http://127.0.0.1:<port>, serving the plugin's REST API. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The webhooks plugin installed through its own register(host), as any host server would, on a
 * fresh MariaDB database, with its router served on an ephemeral port: the benchmarks that drive
 * the engine directly (sweepOnce, a backlog) get the engine exactly as the plugin builds it.
 * The cron sweeper is set to once a year so that only the benchmark triggers sweeps.
 */
export async function startEngineHost(overrides: Record<string, string> = {}): Promise<EngineHost> {
  const db = await createBenchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-bench-'));
  const config = loadConfig(benchEnv(db.url, dataDir, { WEBHOOK_SWEEP_CRON: '0 0 1 1 *', ...overrides }));
  const sequelize = await connectDatabase(config.DATABASE_URL);
  await migrateUp(sequelize, [...coreMigrations, ...(webhooksPlugin.migrations ?? [])]);
  const router = express.Router();
  const pass: express.RequestHandler = (_req, _res, next) => next();
  const plugin = await webhooksPlugin.register({
    router,
    sequelize,
    hooks: new HookBus(),
    logger: createLogger(config.LOG_LEVEL, 'bench'),
    config,
    auth: { requireApiKey: pass, requireAdmin: pass },
    addAdminPage: () => {},
  });
  const app = express();
  app.use(router);
  const http = createServer(app);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    engine: plugin.engine,
    sequelize,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stop: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await plugin.stop();
      await sequelize.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
