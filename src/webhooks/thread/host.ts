import type { Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import { hasSessionReadCommitted } from '../../db/connect.js';
import { chatEvents } from '../../events.js';
import type { HookBus } from '../../hooks.js';
import type { Logger } from '../../logger.js';
import type { WebhookEngine } from '../delivery/engine.js';
import { EventOutbox } from '../outbox/event-outbox.js';
import { deliveryWorkerMethods, type DeliveryWorkerApi, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';
import { createProxy } from './rpc.js';
import type { SharedClock } from './shared-clock.js';
import { startWorker } from './start-worker.js';

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
  /** A clock the worker's engine reads instead of the system's (tests move it by hand). */
  clock?: SharedClock;
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
  /** The calls, made in whichever worker is running (see #running). */
  readonly #remote = createProxy<DeliveryWorkerApi>(() => this.#running(), deliveryWorkerMethods, {
    closed: () => new Error('the delivery worker stopped'),
  });
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
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

  // The API's calls, answered by the worker's engine (errors keep their class: see error-codec.ts).
  readonly sendTest = this.#remote.sendTest;
  readonly redeliver = this.#remote.redeliver;
  readonly recover = this.#remote.recover;
  readonly sweepOnce = this.#remote.sweepOnce;
  readonly idle = this.#remote.idle;

  wake(): void {
    this.#post({ type: 'wake' });
  }

  /** The worker's attempt metrics (prom-client JSON); none while no worker runs. */
  async metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    if (!this.#worker) return [];
    return this.#remote.metrics();
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
      await this.#remote.stop();
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
      ...(this.#options.clock ? { clock: this.#options.clock.buffer } : {}),
    };
    // entry.ts beside this module when it runs from the sources (tests, tsx), entry.js once built.
    const worker = startWorker(new URL(import.meta.url.endsWith('.ts') ? './entry.ts' : './entry.js', import.meta.url), init);
    this.#worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') reject(new Error(`the delivery worker could not start: ${message.message}`));
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

  #exited(worker: Worker, code: number): void {
    if (this.#worker !== worker) return;
    // The proxy has failed the calls it was waiting on in this worker.
    this.#worker = null;
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

  /** The worker the next call goes to, once it has started. */
  async #running(): Promise<Worker> {
    await this.#ready;
    if (!this.#worker) throw new Error('the delivery worker is not running');
    return this.#worker;
  }
}
