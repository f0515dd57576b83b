import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildHandle } from './child.js';
import { createBenchDatabase } from './database.js';
import { benchEnv } from './server.js';
import type { PoolStats } from './pool-sampler.js';

export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  gcRan: boolean;
}

export interface ServerProcess {
  url: string;
  pid: number;
  memory(): Promise<MemoryUsage>;
  /** Widget sockets the server holds. */
  sockets(): Promise<number>;
  /** The server's connection pool since the last call. */
  pool(): Promise<PoolStats>;
  /** SQL statements the server sent since the last call, by kind. */
  statements(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** The real server in a child process (bench/child/server.ts) on a fresh MariaDB database. */
export async function startServerProcess(overrides: Record<string, string> = {}): Promise<ServerProcess> {
  const db = await createBenchDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'livechat-bench-'));
  const child = ChildHandle.start('server', benchEnv(db.url, dataDir, overrides), ['--expose-gc']);
  const cleanup = async () => {
    await child.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const port = await child.call<number>('port');
    return {
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      memory: () => child.call('memory'),
      sockets: () => child.call('sockets'),
      pool: () => child.call('pool'),
      statements: async () => new Map(await child.call<[string, number][]>('statements')),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
