import { loadConfig } from '../../src/config.js';
import { createLiveChatServer } from '../../src/server.js';
import { serveParent } from '../lib/child.js';
import { samplePool } from '../lib/pool-sampler.js';
import { countStatements } from '../lib/sql-counter.js';

/**
 * The real server in a process of its own (configured by the environment the parent passes), so
 * that visitors' latencies and the server's memory are measured from outside it.
 */
const server = await createLiveChatServer(loadConfig(process.env), { print: () => {} });
const port = await server.listen();
const gc = (globalThis as { gc?: () => void }).gc;
const pool = samplePool(server.sequelize);
let statements = countStatements(server.sequelize);

serveParent(
  {
    port: () => port,
    /** process.memoryUsage() after a full collection (when node runs with --expose-gc). */
    memory: () => {
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, gcRan: Boolean(gc) };
    },
    sockets: async () => (await server.io.of('/widget').fetchSockets()).length,
    /** The connection pool since the last call (see lib/pool-sampler.ts). */
    pool: () => pool.read(),
    /** SQL statements sent since the last call, by kind. */
    statements: () => {
      const counts = statements.stop();
      statements = countStatements(server.sequelize);
      return [...counts];
    },
  },
  async () => {
    pool.stop();
    await server.close();
  },
);
