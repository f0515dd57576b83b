import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import type { Sequelize } from 'sequelize';
import { loadConfig } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateUp } from '../../src/db/migrate.js';
import { coreMigrations } from '../../migrations/index.js';
import { HookBus } from '../../src/hooks.js';
import { createLogger } from '../../src/logger.js';
import { ApiKeyStore } from '../../src/auth/api-keys.js';
import { attachChat, type ChatDeps } from '../../src/chat/index.js';
import { createTestDatabase, mysqlServer, type TestDialect } from '../support/databases.js';
import { TEST_API_KEY } from '../support/server.js';

/**
 * The chat alone on a bare Socket.IO server, for what the full server does not expose: an
 * injected clock, a short ack deadline, the agent handshake hook, a database that goes away.
 */
export interface ChatHarness {
  url: string;
  sequelize: Sequelize;
  hooks: HookBus;
  chat: { close(): Promise<void> };
  /** MySQL only: cut and restore the database connection (a TCP proxy in front of MariaDB). */
  database: { down(): Promise<void>; up(): Promise<void> } | null;
  stop(): Promise<void>;
}

export async function startChatHarness(dialect: TestDialect, deps: Partial<ChatDeps> = {}, env: Record<string, string> = {}): Promise<ChatHarness> {
  const db = await createTestDatabase(dialect);
  const proxy = dialect === 'mysql' ? await startTcpProxy(new URL(mysqlServer)) : null;
  const url = proxy ? db.url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`) : db.url;
  const config = loadConfig({ DATABASE_URL: url, ADMIN_API_KEY: TEST_API_KEY, LOG_LEVEL: 'silent', ...env });
  const sequelize = await connectDatabase(config.DATABASE_URL);
  await migrateUp(sequelize, coreMigrations);
  const http: HttpServer = createServer();
  const io = new SocketServer(http);
  const hooks = new HookBus();
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const chat = attachChat({ io, sequelize, hooks, logger, config, apiKeys: new ApiKeyStore(sequelize, TEST_API_KEY), ...deps });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  let stopped = false;
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    sequelize,
    hooks,
    chat,
    database: proxy && { down: proxy.down, up: proxy.up },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await chat.close();
      await proxy?.up();
      await sequelize.close().catch(() => undefined);
      await proxy?.close();
      await db.drop();
    },
  };
}

/** A TCP forwarder that can drop every connection and refuse new ones, then come back. */
async function startTcpProxy(target: URL) {
  const sockets = new Set<TcpSocket>();
  let server: TcpServer | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createTcpServer((client) => {
        const upstream = tcpConnect(Number(target.port || 3306), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const down = async () => {
    if (!server) return;
    const closing = server;
    server = null;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    down,
    up: async () => {
      if (!server) await listen();
    },
    close: down,
  };
}
