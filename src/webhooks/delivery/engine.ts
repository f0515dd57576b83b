import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import type { Got } from 'got';
import type { Config } from '../../config.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { chatEvents } from '../../events.js';
import type { HookBus } from '../../hooks.js';
import type { Logger } from '../../logger.js';
import type { AddressGuard } from '../http/address-guard.js';
import { insertClaimedDelivery } from '../db/insert-deliveries.js';
import { requeueDelivery, requeueFailed } from '../db/requeue.js';
import { getWebhook, type WebhookRecord } from '../db/webhook-store.js';
import { buildEnvelope } from '../events/envelope.js';
import { renderBody } from '../events/formats/index.js';
import { Outbox, type CommittedRow } from '../outbox/outbox.js';
import { OperationalEvents } from '../outbox/operational-events.js';
import { Sender, systemClock, type Clock } from '../http/sender.js';
import { Attempts, type AttemptResult } from './attempt.js';
import { Dispatcher } from './dispatcher.js';
import { EventIntake } from './event-intake.js';
import { Leases } from './leases.js';
import { AttemptLimiter } from './limiter.js';
import { LocalQueue } from './local-queue.js';
import { noAttemptMetrics, type AttemptMetrics } from './metrics.js';
import { Runtime, type DbGate } from './runtime.js';
import { Semaphore } from './semaphore.js';
import type { SharedWebhookLimits } from './shared-limits.js';
import { Slots } from './slots.js';
import { startSweeper } from './sweeper.js';
import { WebhookHealth } from './webhook-health.js';

export type { AttemptResult } from './attempt.js';

export type EngineConfig = Pick<
  Config,
  | 'WEBHOOK_TIMEOUT_MS'
  | 'WEBHOOK_RETRY_DELAYS'
  | 'WEBHOOK_LEASE_MS'
  | 'WEBHOOK_CONCURRENCY'
  | 'WEBHOOK_CONCURRENCY_PER_WEBHOOK'
  | 'WEBHOOK_SWEEP_BATCH'
  | 'WEBHOOK_DB_CONCURRENCY'
  | 'WEBHOOK_DISABLE_AFTER_FAILURES'
  | 'WEBHOOK_DISABLE_AFTER_DAYS'
  | 'PUBLIC_URL'
>;

export interface DeliveryEngineOptions {
  sequelize: Sequelize;
  config: EngineConfig;
  logger: Logger;
  secretBox: SecretBox;
  /** A got instance (createDeliveryGot gives one with keep-alive agents behind the guard). */
  got: Got;
  guard: AddressGuard;
  clock?: Clock;
  /** How long stop() lets in-flight attempts run before aborting them. Default: WEBHOOK_TIMEOUT_MS. */
  stopGraceMs?: number;
  /** User-Agent override (default: `<package name>/<version>`). */
  userAgent?: string;
  /** Pauses, rate-limit windows and the per-webhook cap shared with other instances (REDIS_URL). */
  shared?: SharedWebhookLimits | null;
  /** Told of every recorded attempt (the /metrics counters). */
  metrics?: AttemptMetrics;
}

/**
 * What the plugin's API and host need of a delivery engine: the in-process DeliveryEngine, or
 * the ThreadedDeliveryEngine that runs one in a worker thread.
 */
export interface WebhookEngine {
  /** Subscribes the outbox writer to the chat events of `hooks`. */
  attach(hooks: HookBus): void;
  /** Starts the node-cron sweeper (WEBHOOK_SWEEP_CRON). */
  startSweeper(expression: string): void;
  /** Sends `webhook.test` now; null when there is no such webhook. */
  sendTest(webhookId: number): Promise<AttemptResult | null>;
  /** Queues a delivery again now with a fresh retry budget; false when not found. */
  redeliver(webhookId: number, deliveryId: string): Promise<boolean>;
  /** Queues again the failed deliveries created in [since, until]; answers how many. */
  recover(webhookId: number, since: Date, until: Date): Promise<number>;
  /** Starts a sweep now. */
  wake(): void;
  /** One sweep: claims due rows and starts their attempts; answers how many were started. */
  sweepOnce(): Promise<number>;
  /** Resolves when no attempt, claim or sweep is in progress. */
  idle(): Promise<void>;
  /** Stops new work and lets in-flight attempts finish (aborted after a grace period). */
  stop(): Promise<void>;
}

/** Rows claimed ahead per webhook whose slots are all taken, as a multiple of WEBHOOK_CONCURRENCY_PER_WEBHOOK. */
const CLAIM_AHEAD_FACTOR = 16;
/** How long a row claimed ahead may wait for a slot before it is handed back to the table. */
const CLAIM_AHEAD_MAX_MS = 2000;

/**
 * The delivery engine: writes the outbox rows inside the chat's transaction, makes the first
 * attempt right after the commit, records every attempt, retries on the sweeper's schedule, and
 * keeps webhooks healthy. Several processes may share one database: claims are leases.
 *
 * This class wires the stages and answers the API: the Dispatcher claims and starts attempts
 * (sweeps and first attempts), the LocalQueue holds rows claimed ahead, Attempts sends and records
 * one, Slots and WebhookHealth keep their bookkeeping, and the Runtime tracks timers and promises.
 */
export class DeliveryEngine implements WebhookEngine {
  readonly #sequelize: Sequelize;
  /** How bodies are rendered (PUBLIC_URL). */
  readonly #render: { publicUrl?: string };
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #stopGraceMs: number;
  /** Every database operation of the engine's own goes through this (see DbGate). */
  readonly #db: DbGate;
  readonly #runtime: Runtime;
  readonly #leases: Leases;
  readonly #slots: Slots;
  readonly #queue: LocalQueue;
  readonly #dispatcher: Dispatcher;
  readonly #outbox: Outbox;
  readonly #events: EventIntake;
  #sweeper: { stop(): Promise<void> } | null = null;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: DeliveryEngineOptions) {
    const { config, sequelize, logger } = options;
    this.#sequelize = sequelize;
    this.#logger = logger;
    this.#render = config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {};
    const clock = (this.#clock = options.clock ?? systemClock);
    this.#stopGraceMs = options.stopGraceMs ?? config.WEBHOOK_TIMEOUT_MS;
    const dbGate = new Semaphore(config.WEBHOOK_DB_CONCURRENCY);
    const db: DbGate = (this.#db = (work, o) => dbGate.run(work, o));
    const runtime = (this.#runtime = new Runtime((err, message) => this.#dispatcher.sweepFailed(err, message)));
    const leases = (this.#leases = new Leases(config.WEBHOOK_LEASE_MS, config.WEBHOOK_TIMEOUT_MS));
    const base = { sequelize, db, clock, logger, runtime, leases };
    // webhook.disabled and delivery.failed, written in the transactions that disable and fail.
    const operational = new OperationalEvents({ sequelize, ...this.#render, committed: () => this.wake() });
    const limiter = new AttemptLimiter(config.WEBHOOK_CONCURRENCY, config.WEBHOOK_CONCURRENCY_PER_WEBHOOK);
    this.#slots = new Slots(limiter, { clock, later: (ms, fn) => runtime.later(ms, fn), wanted: () => this.wake() });
    this.#queue = new LocalQueue(config.WEBHOOK_CONCURRENCY_PER_WEBHOOK * CLAIM_AHEAD_FACTOR, CLAIM_AHEAD_MAX_MS);
    const sender = new Sender({
      got: options.got,
      guard: options.guard,
      clock,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
    const metrics = options.metrics ?? noAttemptMetrics;
    const rules = { afterFailures: config.WEBHOOK_DISABLE_AFTER_FAILURES, afterDays: config.WEBHOOK_DISABLE_AFTER_DAYS };
    this.#dispatcher = new Dispatcher({
      ...base,
      slots: this.#slots,
      queue: this.#queue,
      attempts: new Attempts({ ...base, sender, secretBox: options.secretBox, metrics, operational, retryDelays: config.WEBHOOK_RETRY_DELAYS }),
      health: new WebhookHealth({ sequelize, db, operational, rules }),
      shared: options.shared ?? null,
      sweepBatch: config.WEBHOOK_SWEEP_BATCH,
      backlog: () => this.#events.backlog(),
    });
    const sendSoon = (rows: CommittedRow[], webhooks: WebhookRecord[]): void => this.#dispatcher.sendSoon(rows, webhooks);
    this.#events = new EventIntake({ ...base, render: this.#render, committed: sendSoon, failed: (err, m) => this.#dispatcher.sweepFailed(err, m) });
    this.#outbox = new Outbox({ sequelize, clock, ...this.#render, lease: (now) => leases.take(now), db: (work) => db(work), committed: sendSoon });
  }

  /** Subscribes the outbox writer to the chat events of `hooks`. */
  attach(hooks: HookBus): void {
    for (const event of chatEvents) {
      this.#unsubscribe.push(hooks.onDurable(event, (payload, transaction) => this.#outbox.enqueue(payload, transaction)));
    }
  }

  /** Starts the node-cron sweeper (WEBHOOK_SWEEP_CRON). */
  startSweeper(expression: string): void {
    this.#sweeper ??= startSweeper(
      expression,
      async () => {
        if (this.#dispatcher.sweeping || this.#runtime.stopping) return;
        await this.sweepOnce();
      },
      this.#logger,
    );
  }

  /** Sends `webhook.test` now with X-Webhook-Test: true; logged, never retried. Null when there is no such webhook. */
  async sendTest(webhookId: number): Promise<AttemptResult | null> {
    const webhook = await this.#db(() => getWebhook(this.#sequelize, webhookId));
    if (!webhook) return null;
    const now = this.#clock.now();
    const deliveryId = randomUUID();
    const envelope = buildEnvelope('webhook.test', deliveryId, now, {
      message: `Test delivery for webhook "${webhook.name}". If you can read this, the webhook works.`,
      webhook_id: webhook.id,
      webhook_name: webhook.name,
    });
    const claimed = await this.#db(() => insertClaimedDelivery(this.#sequelize, {
      deliveryId,
      webhookId: webhook.id,
      event: 'webhook.test',
      body: renderBody(webhook.format, envelope, this.#render),
      isTest: true,
      createdAt: now,
      nextAttemptAt: now,
      lease: this.#leases.take(now),
    }));
    return this.#dispatcher.sendClaimed(claimed, webhook);
  }

  /** Queues a delivery again now (same delivery_id and body) with a fresh retry budget. False when not found. */
  async redeliver(webhookId: number, deliveryId: string): Promise<boolean> {
    const requeued = await this.#db(() => requeueDelivery(this.#sequelize, webhookId, deliveryId, this.#clock.now()));
    if (!requeued) return false;
    if (!requeued.inFlight) this.#dispatcher.sendSoon([{ deliveryId, webhookId }], []);
    return true;
  }

  /** Queues again every failed delivery of the webhook created in [since, until]; answers how many. */
  async recover(webhookId: number, since: Date, until: Date): Promise<number> {
    const count = await this.#db(() => requeueFailed(this.#sequelize, webhookId, since, until, this.#clock.now()));
    if (count > 0) this.wake();
    return count;
  }

  /** Starts a sweep now, or right after the one running (e.g. after a webhook is enabled again). */
  wake(): void {
    this.#dispatcher.wake();
  }

  /**
   * Claims due deliveries in batches, as many as there are free slots, and starts their attempts.
   * Resolves once they are started (not finished: see idle()); answers how many were started.
   */
  sweepOnce(): Promise<number> {
    return this.#dispatcher.sweepOnce();
  }

  /**
   * Fans out events the chat's thread committed to the event outbox (thread mode) and sends their
   * deliveries. One fan-out runs at a time: the events committed meanwhile go in the next one.
   */
  dispatchEvents(eventIds: number[]): void {
    this.#events.dispatch(eventIds);
  }

  /** Resolves when no attempt, claim or sweep is in progress. */
  idle(): Promise<void> {
    return this.#runtime.idle();
  }

  /** Stops the sweeper and new work, lets in-flight attempts finish (aborted after the grace period), all recorded. */
  async stop(): Promise<void> {
    if (this.#runtime.stopping) return this.idle();
    this.#runtime.stop();
    this.#queue.stop();
    for (const off of this.#unsubscribe) off();
    await this.#sweeper?.stop();
    // A claim running now finishes (its rows are handed back, see Dispatcher) before the database may close.
    await this.#dispatcher.settled();
    // Rows claimed ahead go back to the table now rather than when their leases run out.
    await this.#dispatcher.releaseHeld().catch((err: unknown) => this.#logger.error({ err }, 'handing back held webhook deliveries failed'));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), this.#stopGraceMs);
    });
    const done = await Promise.race([this.idle().then(() => 'idle' as const), graceOver]);
    clearTimeout(timer);
    if (done === 'grace') {
      this.#logger.warn({ inFlight: this.#slots.inFlight }, 'aborting webhook attempts still running at shutdown');
      this.#runtime.abort();
      await this.idle();
    }
  }
}
