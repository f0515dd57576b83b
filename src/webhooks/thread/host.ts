import { Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import { hasSessionReadCommitted } from '../../db/connect.js';
import { chatEvents } from '../../events.js';
import type { HookBus } from '../../hooks.js';
import type { Logger } from '../../logger.js';
import type { AttemptResult, WebhookEngine } from '../delivery/engine.js';
import { EventOutbox } from '../outbox/event-outbox.js';
import type { FromWorker, ToWorker, WorkerCalls, WorkerInit } from './protocol.js';

export interface ThreadedEngineOptions {
  sequelize: Sequelize;
  config: Config;
  logger: Logger;
  appKey: Buffer;
  userAgent?: string;
  /** How much lower the worker's CPU priority is than the chat's (nice, Linux). Default 10. */
  nice?: number;
  /** Wait before starting a worker again after it died. Default 1 s. */
  restartDelayMs?: number;
  /** Share webhook pauses and caps through REDIS_URL under this key prefix (the chat's own link's). */
  redisNamespace?: string;
}

/**
 * True when the engine should run in a worker thread: WEBHOOK_WORKER=thread on MySQL/MariaDB, with
 * the Sequelize connectDatabase opened from DATABASE_URL (the worker opens its own from that URL,
 * so a host's Sequelize, which may point elsewhere or need other options, keeps the inline engine).
 */
export function wantsDeliveryThread(config: Config, sequelize: Sequelize): boolean {
  return config.WEBHOOK_WORKER === 'thread' && config.DATABASE_URL.dialect === 'mysql' && hasSessionReadCommitted(sequelize);
}

/**
 * The delivery engine in a worker thread. The chat's thread keeps only the event outbox: each chat
 * event is one small row written inside the chat's transaction (no webhook read, no bodies, however
 * many webhooks there are), and after the commit its id is posted to the worker. The worker fans it
 * out into delivery rows, then claims, sends and records on an event loop, a CPU priority and
 * database connections of its own. So thousands of POSTs a second do not delay a visitor's message,
 * and a worker that dies loses nothing: events and rows wait in the tables, and the worker started
 * in its place sweeps them.
 */
export class ThreadedDeliveryEngine implements WebhookEngine {
  readonly #options: ThreadedEngineOptions;
  readonly #logger: Logger;
  readonly #outbox: EventOutbox;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #callSeq = 0;
  #sweeperExpression: string | null = null;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  /** A worker has started once: from then on a dead one is replaced. */
  #started = false;
  #restartTimer: NodeJS.Timeout | null = null;

  constructor(options: ThreadedEngineOptions) {
    this.#options = options;
    this.#logger = options.logger;
    // One small row per event in the chat's transaction; the worker fans it out after the commit.
    // While no worker runs the events simply wait in the table: the next worker's first sweep takes them.
    this.#outbox = new EventOutbox(options.sequelize, (ids) => this.#post({ type: 'events', ids }));
  }

  /** Starts the worker; resolves once it is connected to the database and listening. */
  start(): Promise<void> {
    this.#ready ??= this.#spawn();
    return this.#ready;
  }

  attach(hooks: HookBus): void {
    for (const event of chatEvents) {
      this.#unsubscribe.push(hooks.onDurable(event, (payload, transaction) => this.#outbox.enqueue(payload, transaction)));
    }
  }

  startSweeper(expression: string): void {
    this.#sweeperExpression = expression;
    this.#post({ type: 'sweeper', expression });
  }

  sendTest(webhookId: number): Promise<AttemptResult | null> {
    return this.#call('sendTest', [webhookId]) as Promise<AttemptResult | null>;
  }

  redeliver(webhookId: number, deliveryId: string): Promise<boolean> {
    return this.#call('redeliver', [webhookId, deliveryId]) as Promise<boolean>;
  }

  recover(webhookId: number, since: Date, until: Date): Promise<number> {
    return this.#call('recover', [webhookId, since, until]) as Promise<number>;
  }

  wake(): void {
    this.#post({ type: 'wake' });
  }

  sweepOnce(): Promise<number> {
    return this.#call('sweepOnce', []) as Promise<number>;
  }

  idle(): Promise<void> {
    return this.#call('idle', []) as Promise<void>;
  }

  /** The worker's attempt metrics (prom-client JSON); none while no worker runs. */
  async metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    if (!this.#worker) return [];
    return (await this.#call('metrics', [])) as MetricObjectWithValues<MetricValue<string>>[];
  }

  /** The worker's engine stops (in-flight attempts finish or are aborted after the grace period), then the thread ends. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    for (const off of this.#unsubscribe) off();
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    try {
      await this.#call('stop', []);
    } catch (err) {
      this.#logger.error({ err }, 'the delivery worker did not stop cleanly');
      await worker.terminate();
    }
    await exited;
  }

  /** The worker thread, for tests that kill it. */
  get worker(): Worker | null {
    return this.#worker;
  }

  async #spawn(): Promise<void> {
    const init: WorkerInit = {
      config: this.#options.config,
      appKey: new Uint8Array(this.#options.appKey),
      nice: this.#options.nice ?? 10,
      ...(this.#options.userAgent ? { userAgent: this.#options.userAgent } : {}),
      ...(this.#options.redisNamespace ? { redisNamespace: this.#options.redisNamespace } : {}),
    };
    const worker = startWorker(init);
    this.#worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') reject(new Error(`the delivery worker could not start: ${message.message}`));
        else this.#received(message);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the delivery worker exited with code ${code} while starting`)));
    });
    worker.on('error', (err) => this.#logger.error({ err }, 'the delivery worker failed'));
    worker.once('exit', (code) => this.#exited(worker, code));
    try {
      await ready;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    this.#started = true;
    if (this.#sweeperExpression) this.#post({ type: 'sweeper', expression: this.#sweeperExpression });
  }

  #received(message: FromWorker): void {
    if (message.type === 'answer') {
      const call = this.#pending.get(message.id);
      if (!call) return;
      this.#pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new Error(message.message));
    }
  }

  #exited(worker: Worker, code: number): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    for (const call of this.#pending.values()) call.reject(new Error('the delivery worker stopped'));
    this.#pending.clear();
    // A worker that never started fails start() instead; one stopped on purpose stays stopped.
    if (this.#stopping || !this.#started) return;
    // Its leased rows come due again when their leases expire; the others are due now.
    this.#logger.error({ code }, 'the delivery worker died; starting another');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      // A worker that fails to start exits too, and that exit schedules the next try.
      this.#ready = this.#spawn();
      this.#ready.catch((err: unknown) => this.#logger.error({ err }, 'the delivery worker could not be started again'));
    }, this.#options.restartDelayMs ?? 1000);
    this.#restartTimer.unref();
  }

  #post(message: ToWorker): void {
    this.#worker?.postMessage(message);
  }

  async #call<K extends keyof WorkerCalls>(method: K, args: WorkerCalls[K]): Promise<unknown> {
    await this.#ready;
    const worker = this.#worker;
    if (!worker) throw new Error('the delivery worker is not running');
    const id = ++this.#callSeq;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'call', id, method, args } as ToWorker);
    });
  }
}

/**
 * Starts entry.js next to this module; from the TypeScript sources (tests, tsx) it is
 * loaded through tsx, since a worker does not inherit the loader of the thread that starts it.
 */
function startWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./entry.js', here), { workerData: init });
  const entry = new URL('./entry.ts', here).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(here)}))`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
