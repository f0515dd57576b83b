import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildHandle } from './child.js';
import { createBenchDatabase } from './database.js';
import { benchEnv } from './server.js';

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
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
