import { ConfigError, loadConfig } from './config.js';
import { createLogger, resolveLogFormat } from './logger.js';
import { createLiveChatServer } from './server.js';

/** `npm start`: configuration errors print one line naming the variable and exit 1. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL, 'livechat', config.LOG_FORMAT);
  const startedAt = performance.now();
  let server;
  try {
    server = await createLiveChatServer(config, { logger });
  } catch (err) {
    console.error(`Start-up failed: ${describeStartupError(err, config.DATABASE_URL.dialect)}`);
    process.exit(1);
  }
  const port = await server.listen();
  const urls = startupUrls(config.PUBLIC_URL ?? `http://localhost:${port}`);
  const ms = Math.round(performance.now() - startedAt);
  if (resolveLogFormat(config.LOG_FORMAT) === 'pretty') {
    logger.info({ port, database: config.DATABASE_URL.dialect, ms }, `listening on http://localhost:${port}`);
    console.log(`\n  Admin console  ${urls.admin}\n  Widget demo    ${urls.demo}\n  Health check   ${urls.healthz}\n`);
  } else {
    logger.info({ port, database: config.DATABASE_URL.dialect, ms, ...urls }, `listening on http://localhost:${port}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Where a newcomer goes next: the console (sign-in, then the embed snippet), the demo page, the health check. */
function startupUrls(base: string): { admin: string; demo: string; healthz: string } {
  const root = base.replace(/\/+$/, '');
  return { admin: `${root}/admin`, demo: `${root}/demo`, healthz: `${root}/healthz` };
}

function describeStartupError(err: unknown, dialect: string): string {
  const e = err as { name?: string; message?: string; original?: { code?: string } };
  if (e?.name?.startsWith('Sequelize') && /Connection/.test(e.name)) {
    return `DATABASE_URL: cannot connect to the ${dialect} database (${e.original?.code ?? e.message})`;
  }
  return e?.message ?? String(err);
}

await main();
