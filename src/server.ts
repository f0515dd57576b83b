import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { Server as SocketServer } from 'socket.io';
import type { Sequelize } from 'sequelize';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { connectDatabase } from './db/connect.js';
import { migrateUp } from './db/migrate.js';
import { coreMigrations } from '../migrations/index.js';
import { HookBus } from './hooks.js';
import { ApiKeyStore } from './auth/api-keys.js';
import { AgentStore } from './auth/agents.js';
import { SessionTokens } from './auth/session.js';
import { loadAppKey } from './crypto/secret-box.js';
import { agentIdentityVerifier, requireAdminSession, requireApiKeyOrSession } from './admin/auth.js';
import { adminPages as adminOnlyPages, corePages, createAdminRouter } from './admin/router.js';
import { adminHost } from './admin/plugin-admin.js';
import { attachChat } from './chat/index.js';
import { attachRedisAdapter } from './chat/redis-adapter.js';
import { apiKeyGuard } from './auth/require-api-key.js';
import { RedisRevocations } from './auth/session-revocations.js';
import { connectRedis, redisNamespace } from './redis/link.js';
import { memoryLimiters, redisLimiters } from './redis/limiters.js';
import { readManifest, registerPlugin } from './plugins/loader.js';
import type { PluginInstance } from './plugins/host.js';
import * as webhooksPlugin from './webhooks/plugin.js';
import { widgetRoutes } from './widget-host/routes.js';
import { packageRoot } from './package-root.js';
import { MetricsHub } from './metrics/registry.js';
import { registerChatMetrics } from './metrics/chat-metrics.js';
import { metricsRoute } from './metrics/route.js';

/** The project root: the folder holding plugin.json (above src/ or dist/src/). */
export const projectRoot = packageRoot;
const manifestPath = join(projectRoot, 'plugin.json');

export interface LiveChatServer {
  readonly config: Config;
  readonly logger: Logger;
  readonly sequelize: Sequelize;
  readonly hooks: HookBus;
  readonly io: SocketServer;
  readonly app: Express;
  readonly http: HttpServer;
  readonly apiKeys: ApiKeyStore;
  readonly adminPages: { path: string; title: string; section: string }[];
  /** Listens on config.PORT (0 = any free port); resolves to the port. */
  listen(): Promise<number>;
  /** Graceful shutdown: stop accepting, finish in-flight work, close the database. */
  close(): Promise<void>;
}

/** Builds the whole server: database and migrations, HTTP, Socket.IO, chat, plugins. */
export async function createLiveChatServer(config: Config, options: { logger?: Logger; print?: (line: string) => void } = {}): Promise<LiveChatServer> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, 'livechat', config.LOG_FORMAT);
  const sequelize = await connectDatabase(config.DATABASE_URL);
  await migrateUp(sequelize, [...coreMigrations, ...(webhooksPlugin.migrations ?? [])]);

  const apiKeys = new ApiKeyStore(sequelize, config.ADMIN_API_KEY);
  const initialKey = await apiKeys.ensureInitialKey();
  if (initialKey) {
    (options.print ?? console.log)(`Admin API key (shown once, store it now): ${initialKey}`);
  }

  const hooks = new HookBus(logger);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  const http = createHttpServer(app);
  const io = new SocketServer(http, { cors: { origin: '*' }, maxHttpBufferSize: 256 * 1024 });
  // With Redis, instances share rooms, rate limits and sign-outs (SPEC §10); without, each keeps its own.
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, { logger, namespace: redisNamespace(config.DATABASE_URL) }) : null;
  if (redis) await attachRedisAdapter(io, redis);
  const limiters = redis ? redisLimiters(redis) : memoryLimiters;

  app.get('/healthz', async (_req, res) => {
    try {
      await sequelize.query('SELECT 1');
      res.json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'degraded', database: 'down' });
    }
  });
  // A person opening the server's address lands on the admin sign-in (the console then shows the embed snippet).
  app.get('/', (_req, res) => res.redirect(302, '/admin'));
  app.use(widgetRoutes({ root: projectRoot, publicUrl: config.PUBLIC_URL }));

  // Admin sessions are signed with the app key, so they survive restarts and work on every instance.
  // An agent's session lasts only while the account does: removing it signs them out everywhere.
  const agents = new AgentStore(sequelize);
  const sessions = new SessionTokens(loadAppKey(config.APP_KEY, config.DATA_DIR), {
    ...(redis ? { revocations: new RedisRevocations(redis) } : {}),
    agentExists: async (id) => (await agents.findById(id)) !== null,
  });
  const chat = attachChat({ io, sequelize, hooks, logger, config, apiKeys, limiters, verifyAgentHandshake: agentIdentityVerifier(sessions, agents) });
  const adminPages: LiveChatServer['adminPages'] = [];
  const router = express.Router();
  const requireApiKey = requireApiKeyOrSession(apiKeys, sessions, apiKeyGuard(apiKeys, undefined, limiters));
  // One registry for the process; the plugin adds its webhook metrics to it.
  const metrics = new MetricsHub();
  registerChatMetrics(metrics.registry, hooks, io);
  app.use(metricsRoute(metrics, requireApiKey));
  app.use(createAdminRouter({ root: projectRoot, apiKeys, agents, tokens: sessions, logger, limiters, nav: () => adminPages, publicUrl: config.PUBLIC_URL }));
  app.use(router);
  const plugins: PluginInstance[] = [
    await registerPlugin(readManifest(manifestPath), webhooksPlugin, {
      router,
      sequelize,
      hooks,
      logger,
      config,
      auth: { requireApiKey, requireAdmin: requireAdminSession(sessions) },
      admin: adminHost(sessions, () => [...corePages, ...adminPages, ...adminOnlyPages]),
      metrics,
      addAdminPage: (page) => adminPages.push(page),
      ...(redis ? { redis } : {}),
    }),
  ];
  app.use(jsonErrors(logger));

  let closing: Promise<void> | null = null;
  return {
    config, logger, sequelize, hooks, io, app, http, apiKeys, adminPages,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.PORT, () => resolve((http.address() as AddressInfo).port));
      }),
    close: () =>
      (closing ??= (async () => {
        // Stop accepting connections, drain the chat's accepted work (acks go out), then hang up.
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        await chat.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        http.closeAllConnections();
        await httpClosed;
        for (const plugin of plugins) await plugin.stop();
        await redis?.close();
        await sequelize.close();
      })()),
  };
}

/** Bad JSON and oversized bodies are the client's fault: 400/413 with a message, never a 500. */
function jsonErrors(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err, path: req.path }, 'request failed');
    const message =
      err?.type === 'entity.parse.failed' ? 'Malformed JSON body'
      : err?.type === 'entity.too.large' ? 'Request body too large'
      : status === 500 ? 'Internal server error'
      : String(err?.message ?? 'Bad request');
    if (!res.headersSent) res.status(status).json({ success: false, data: null, message });
  };
}
