import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, waitUntil } from './child-server.js';

/**
 * A Redis of our own (never the shared system one) on a fixed port, so a scenario can stop it
 * and start it again at the same address: no persistence, gone with the process.
 */
export class RedisChild {
  #child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async create(): Promise<RedisChild> {
    const redis = new RedisChild(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const child = this.#child;
    process.once('exit', () => child.kill('SIGKILL'));
    if (!(await waitUntil(() => this.cli('PING') === 'PONG', 10_000, 50))) throw new Error(`redis-server on ${this.port} did not answer`);
  }

  /** SIGKILL: the instances see the connection drop, as when a Redis host dies. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** One redis-cli command's output, trimmed ('' when Redis is down). */
  cli(...args: string[]): string {
    const result = spawnSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8', timeout: 5000 });
    return (result.stdout ?? '').trim();
  }
}
