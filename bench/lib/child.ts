import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A request/answer over the IPC channel of a forked bench process. */
type Request = { id: number; type: string; payload?: unknown };
type Answer = { id: number; ok: boolean; result?: unknown; error?: string };

/** Extra node flags for every child, e.g. --cpu-prof when the run is being profiled. */
export const childNodeFlags: string[] = [];

/**
 * A TypeScript module of bench/child/ running in its own node process (through tsx), so that what
 * it does (serve HTTP, hold sockets) neither competes with the measuring process's event loop nor
 * counts in its memory.
 */
export class ChildHandle {
  readonly #process: ChildProcess;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #next = 1;
  #exited: Promise<number | null>;
  #ready: Promise<void>;

  private constructor(process: ChildProcess) {
    this.#process = process;
    this.#exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
    let markReady = () => {};
    this.#ready = new Promise((resolve) => (markReady = resolve));
    process.on('message', (raw) => {
      if ((raw as { ready?: boolean }).ready) return markReady();
      const answer = raw as Answer;
      const waiter = this.#pending.get(answer.id);
      if (!waiter) return;
      this.#pending.delete(answer.id);
      if (answer.ok) waiter.resolve(answer.result);
      else waiter.reject(new Error(answer.error ?? 'child failed'));
    });
    void this.#exited.then((code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`bench child exited (${code})`));
      this.#pending.clear();
    });
  }

  /** Starts bench/child/<name>.ts with the given environment added to this one. */
  static start(name: string, env: Record<string, string> = {}, nodeFlags: string[] = []): ChildHandle {
    const path = fileURLToPath(new URL(`../child/${name}.ts`, import.meta.url));
    const child = fork(path, [], {
      execArgv: ['--import', 'tsx', ...childNodeFlags, ...nodeFlags],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ChildHandle(child);
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  /** Sends a request once the child is serving; rejects if it exits first. */
  async call<T>(type: string, payload?: unknown): Promise<T> {
    await Promise.race([this.#ready, this.#exited]);
    if (this.#process.exitCode !== null || this.#process.signalCode !== null || !this.#process.connected) {
      throw new Error(`bench child exited (${this.#process.exitCode ?? this.#process.signalCode})`);
    }
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#process.send({ id, type, payload } satisfies Request);
    });
  }

  /** Asks the child to finish and waits for it to exit (killing it after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), graceMs);
    await Promise.race([this.call('stop').catch(() => {}), this.#exited]);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Child side: answers the parent's requests with the given handlers; `stop` ends the process. */
export function serveParent(handlers: Record<string, (payload: unknown) => unknown>, onStop: () => Promise<void>): void {
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= onStop().catch(() => {}));
  process.on('message', async (raw) => {
    const request = raw as Request;
    const reply = (answer: Omit<Answer, 'id'>) => process.send?.({ id: request.id, ...answer });
    if (request.type === 'stop') {
      await stop();
      reply({ ok: true });
      process.disconnect?.();
      return;
    }
    const handler = handlers[request.type];
    if (!handler) return reply({ ok: false, error: `unknown request ${request.type}` });
    try {
      reply({ ok: true, result: await handler(request.payload) });
    } catch (err) {
      reply({ ok: false, error: (err as Error).message });
    }
  });
  // Told to stop, or the parent died: either way nothing is left to serve.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  // Requests sent before this listener existed would be lost: the parent waits for this first.
  process.send?.({ ready: true });
}
