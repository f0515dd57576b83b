import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
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
  const logger = createLogger(config.LOG_LEVEL);
  const startedAt = performance.now();
  let server;
  try {
    server = await createLiveChatServer(config, { logger });
  } catch (err) {
    console.error(`Start-up failed: ${describeStartupError(err, config.DATABASE_URL.dialect)}`);
    process.exit(1);
  }
  const port = await server.listen();
  logger.info({ port, database: config.DATABASE_URL.dialect, ms: Math.round(performance.now() - startedAt) }, `listening on http://localhost:${port}`);

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

function describeStartupError(err: unknown, dialect: string): string {
  const e = err as { name?: string; message?: string; original?: { code?: string } };
  if (e?.name?.startsWith('Sequelize') && /Connection/.test(e.name)) {
    return `DATABASE_URL: cannot connect to the ${dialect} database (${e.original?.code ?? e.message})`;
  }
  return e?.message ?? String(err);
}

await main();
