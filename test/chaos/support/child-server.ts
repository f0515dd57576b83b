import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, readlinkSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/chaos/support/child-server.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A free TCP port on 127.0.0.1: the child must listen on a port we know before it starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const children = new Set<ChildProcess>();
// A test that throws half-way must not leave servers running on the shared machine.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * The real server (`src/main.ts` under tsx) as a child process on a fixed port, so a test can
 * SIGKILL it and start it again on the same database and address. Its stdout (pino JSON lines)
 * and stderr go to `logFile`.
 */
export class ChildServer {
  readonly url: string;
  #child: ChildProcess | null = null;
  #exited: Promise<ChildExit> | null = null;
  #log: WriteStream;
  /** How many times the process was started. */
  starts = 0;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.#log = createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts the process and resolves once /healthz answers (any status); rejects if it exits first. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('already running');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    children.add(child);
    this.#child = child;
    child.stdout!.pipe(this.#log, { end: false });
    child.stderr!.pipe(this.#log, { end: false });
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        resolve({ code, signal });
      }),
    );
    const deadline = Date.now() + timeoutMs;
    let exit: ChildExit | null = null;
    void this.#exited.then((e) => (exit = e));
    while (Date.now() < deadline) {
      if (exit) throw new Error(`server exited during start-up (${JSON.stringify(exit)}); log: ${this.logFile}\n${this.tail(20)}`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`server did not answer /healthz within ${timeoutMs} ms; log: ${this.logFile}`);
  }

  /** Sends `signal` and resolves when the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ChildExit> {
    if (!this.#child || !this.#exited) throw new Error('not started');
    if (this.running) this.#child.kill(signal);
    return this.#exited;
  }

  /** Resolves when the process exits on its own (or rejects after `timeoutMs`). */
  async exited(timeoutMs: number): Promise<ChildExit> {
    if (!this.#exited) throw new Error('not started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server still running after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.#exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** Peak resident memory of the running process, in bytes (Linux VmHWM). */
  peakRss(): number {
    return statusField(this.#child?.pid, 'VmHWM');
  }

  /** Current resident memory of the running process, in bytes. */
  rss(): number {
    return statusField(this.#child?.pid, 'VmRSS');
  }

  /** Local TCP ports of this process's open sockets (Linux /proc): which instance a request came from. */
  localPorts(): Set<number> {
    return socketPortsOf(this.#child?.pid);
  }

  /** The last `lines` lines of the log, for failure messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** The log's JSON lines (non-JSON lines skipped). */
  logEntries(): Record<string, unknown>[] {
    const entries: Record<string, unknown>[] = [];
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        entries.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut by SIGKILL.
      }
    }
    return entries;
  }

  /** Kills the process if it still runs and closes the log. */
  async dispose(): Promise<void> {
    if (this.running) await this.kill('SIGKILL');
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}

function socketPortsOf(pid: number | undefined): Set<number> {
  const ports = new Set<number>();
  if (!pid) return ports;
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // The descriptor closed while we looked.
      }
    }
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/);
        if (fields.length > 9 && inodes.has(fields[9]!)) ports.add(parseInt(fields[1]!.split(':')[1]!, 16));
      }
    }
  } catch {
    // The process is gone.
  }
  return ports;
}

function statusField(pid: number | undefined, field: string): number {
  if (!pid) return 0;
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
