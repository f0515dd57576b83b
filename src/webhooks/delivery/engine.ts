import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Sequelize, Transaction } from 'sequelize';
import type { Got } from 'got';
import type { Config } from '../../config.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { chatEvents } from '../../events.js';
import type { HookBus, HookPayload } from '../../hooks.js';
import type { Logger } from '../../logger.js';
import type { AddressGuard } from '../http/address-guard.js';
import type { Cause, Outcome } from '../http/classify.js';
import { claimDeliveries, type ClaimQuota, type WebhookQuota } from '../db/claim.js';
import type { ClaimedDelivery, DeliveryUpdate } from '../db/delivery-rows.js';
import { decideDelivery } from './decide.js';
import { insertClaimedDelivery, insertIdsAreConsecutive } from '../db/insert-deliveries.js';
import { completeAttempts, type AttemptCompletion } from '../db/record-attempts.js';
import { releaseLeases } from '../db/release.js';
import { requeueDelivery, requeueFailed } from '../db/requeue.js';
import { openSigningSecrets } from '../http/signing-secrets.js';
import {
  disableWebhook,
  getWebhook,
  getWebhooksByIds,
  recordWebhookFailure,
  recordWebhookSuccess,
  type WebhookRecord,
} from '../db/webhook-store.js';
import { buildEnvelope } from '../events/envelope.js';
import { GroupCommit } from './group-commit.js';
import { renderBody } from '../events/formats/index.js';
import { healthVerdict } from './health.js';
import { AttemptLimiter } from './limiter.js';
import { Semaphore } from './semaphore.js';
import type { SharedWebhookLimits } from './shared-limits.js';
import { fanOutEvents } from '../outbox/event-fan-out.js';
import { Outbox, type CommittedRow } from '../outbox/outbox.js';
import { Sender, systemClock, type Clock, type SendResult } from '../http/sender.js';
import { startSweeper } from './sweeper.js';
import { noAttemptMetrics, type AttemptMetrics } from './metrics.js';
import { OperationalEvents } from '../outbox/operational-events.js';

/** One attempt as the Test action and the API report it. */
export interface AttemptResult {
  delivery_id: string;
  attempt_number: number;
  success: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  cause: Cause;
}

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

// The secret cannot be opened (APP_KEY changed): no attempt can be signed, so none is made.
const undecryptable: Outcome = {
  ok: false,
  cause: 'auth',
  permanent: true,
  disableReason: 'The webhook secret cannot be decrypted with the current APP_KEY. Set a new secret, then enable the webhook.',
  retryAfterMs: null,
  pauseMs: null,
  message: 'secret cannot be decrypted with the current APP_KEY',
};

/** Most attempts one recording transaction writes (each may carry a 64 KiB response body). */
const RECORD_BATCH = 64;
/** Most events one fan-out transaction takes. */
const FAN_OUT_BATCH = 200;
/** Most deliveries one first-attempt claim names. */
const FIRST_ATTEMPT_CLAIM = 500;
/** Rows claimed ahead per webhook whose slots are all taken, as a multiple of WEBHOOK_CONCURRENCY_PER_WEBHOOK. */
const CLAIM_AHEAD_FACTOR = 16;
/** How long a row claimed ahead may wait for a slot before it is handed back to the table. */
const CLAIM_AHEAD_MAX_MS = 2000;

/** A row claimed ahead of a free slot, with the webhook as the claim read it. */
interface HeldRow {
  row: ClaimedDelivery;
  webhook: WebhookRecord;
  heldAtMs: number;
}

/**
 * The delivery engine: writes the outbox rows inside the chat's transaction, makes the first
 * attempt right after the commit, records every attempt, retries on the sweeper's schedule, and
 * keeps webhooks healthy. Several processes may share one database: claims are leases.
 */
export class DeliveryEngine implements WebhookEngine {
  readonly #sequelize: Sequelize;
  readonly #config: EngineConfig;
  readonly #logger: Logger;
  readonly #secretBox: SecretBox;
  readonly #clock: Clock;
  readonly #sender: Sender;
  readonly #limiter: AttemptLimiter;
  readonly #shared: SharedWebhookLimits | null;
  /** Every database operation of the engine's own goes through this (see #db). */
  readonly #dbGate: Semaphore;
  /** Finished attempts are recorded in batches: one transaction for all that finished meanwhile. */
  readonly #records: GroupCommit<AttemptCompletion, DeliveryUpdate | null>;
  readonly #stopGraceMs: number;
  readonly #metrics: AttemptMetrics;
  /** A lease must outlive the longest attempt plus its recording, or another process could send it again. */
  readonly #leaseMs: number;
  readonly #instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  #leaseSeq = 0;

  readonly #outbox: Outbox;
  /** webhook.disabled and delivery.failed, written in the transactions that disable and fail. */
  readonly #operational: OperationalEvents;

  readonly #tasks = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** "webhookId:untilMs" of the pauses that already have a wake-up timer. */
  readonly #pauseTimers = new Set<string>();
  readonly #healthy = new Set<number>();
  #sweepChain: Promise<unknown> = Promise.resolve();
  #sweepQueued = false;
  #sweepRunning = false;
  /** Webhooks with rows left due for lack of a slot: a slot of theirs freeing starts a sweep. */
  readonly #waiting = new Set<number>();
  /** Rows were left due because every slot was taken: any slot freeing starts a sweep. */
  #waitingForCapacity = false;
  /**
   * Rows claimed ahead for webhooks whose slots were all taken (a backlog): a freed slot starts the
   * next one at once instead of costing a claim transaction per POST. Held briefly, then handed back.
   */
  readonly #held = new Map<number, HeldRow[]>();
  readonly #heldCap: number;
  /** Deliveries of committed events waiting for their first claim (see #sendSoon). */
  #soon: { ids: string[]; webhooks: Map<number, WebhookRecord> } = { ids: [], webhooks: new Map() };
  /** Committed events waiting for their fan-out (see dispatchEvents). */
  #eventIds: number[] = [];
  /** Names of the #drain jobs running now. */
  readonly #draining = new Set<string>();
  #stopping = false;
  #sweeper: { stop(): Promise<void> } | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: DeliveryEngineOptions) {
    this.#sequelize = options.sequelize;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#secretBox = options.secretBox;
    this.#clock = options.clock ?? systemClock;
    this.#outbox = new Outbox({
      sequelize: this.#sequelize,
      clock: this.#clock,
      ...this.#renderOptions(),
      lease: (now) => this.#newLease(now),
      db: (work) => this.#db(work),
      committed: (rows, webhooks) => this.#sendSoon(rows, webhooks),
    });
    this.#stopGraceMs = options.stopGraceMs ?? options.config.WEBHOOK_TIMEOUT_MS;
    this.#metrics = options.metrics ?? noAttemptMetrics;
    this.#leaseMs = Math.max(options.config.WEBHOOK_LEASE_MS, options.config.WEBHOOK_TIMEOUT_MS + 5000);
    // Every attempt in flight (up to WEBHOOK_CONCURRENCY) listens on the one shutdown signal while it runs.
    setMaxListeners(0, this.#abort.signal);
    this.#dbGate = new Semaphore(options.config.WEBHOOK_DB_CONCURRENCY);
    this.#heldCap = options.config.WEBHOOK_CONCURRENCY_PER_WEBHOOK * CLAIM_AHEAD_FACTOR;
    this.#operational = new OperationalEvents({ sequelize: this.#sequelize, ...this.#renderOptions(), committed: () => this.wake() });
    this.#records = new GroupCommit((items) => completeAttempts(this.#sequelize, items, this.#operational), (run) => this.#db(run, { first: true }), RECORD_BATCH);
    this.#limiter = new AttemptLimiter(options.config.WEBHOOK_CONCURRENCY, options.config.WEBHOOK_CONCURRENCY_PER_WEBHOOK);
    this.#shared = options.shared ?? null;
    this.#sender = new Sender({
      got: options.got,
      guard: options.guard,
      clock: this.#clock,
      timeoutMs: options.config.WEBHOOK_TIMEOUT_MS,
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
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
        if (this.#sweepRunning || this.#stopping) return;
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
      body: renderBody(webhook.format, envelope, this.#renderOptions()),
      isTest: true,
      createdAt: now,
      nextAttemptAt: now,
      lease: this.#newLease(now),
    }));
    return this.#track(this.#attempt(claimed, webhook));
  }

  /** Queues a delivery again now (same delivery_id and body) with a fresh retry budget. False when not found. */
  async redeliver(webhookId: number, deliveryId: string): Promise<boolean> {
    const requeued = await this.#db(() => requeueDelivery(this.#sequelize, webhookId, deliveryId, this.#clock.now()));
    if (!requeued) return false;
    if (!requeued.inFlight) this.#sendSoon([{ deliveryId, webhookId }], []);
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
    if (this.#stopping || this.#sweepQueued) return;
    this.#sweepQueued = true;
    this.#track(
      this.#serialised(() => {
        this.#sweepQueued = false;
        return this.#sweep();
      }).catch((err: unknown) => this.#sweepFailed(err, 'webhook sweep failed')),
    );
  }

  /** A claim failed (database hiccup): rows are still due; try again soon rather than at the next cron tick. */
  #sweepFailed(err: unknown, message: string): void {
    this.#logger.error({ err }, message);
    if (this.#stopping || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#timers.delete(this.#retryTimer!);
      this.#retryTimer = null;
      // The whole sweep: a failed fan-out's events are in the event table, not among the due rows.
      this.sweepOnce().catch((e: unknown) => this.#sweepFailed(e, 'webhook sweep failed'));
    }, 1000);
    this.#retryTimer.unref();
    this.#timers.add(this.#retryTimer);
  }

  /**
   * Claims due deliveries in batches, as many as there are free slots, and starts their attempts.
   * Resolves once they are started (not finished: see idle()); answers how many were started.
   */
  sweepOnce(): Promise<number> {
    return this.#track(
      this.#serialised(async () => {
        // Events another process (or a delivery worker that died) left in the event outbox. A failing
        // fan-out must not keep due rows from going out: it is logged and tried again in a second.
        try {
          for (;;) {
            if (this.#stopping || (await this.#fanOut(null)) < FAN_OUT_BATCH) break;
          }
        } catch (err) {
          this.#sweepFailed(err, 'fanning out webhook events failed');
        }
        return this.#sweep();
      }),
    );
  }

  /**
   * Fans out events the chat's thread committed to the event outbox (thread mode) and sends their
   * deliveries. One fan-out runs at a time: the events committed meanwhile go in the next one.
   */
  dispatchEvents(eventIds: number[]): void {
    if (this.#stopping) return;
    this.#eventIds.push(...eventIds);
    this.#drain({
      name: 'fanning out webhook events',
      pending: () => this.#eventIds.length > 0,
      step: async () => {
        await this.#fanOut(this.#eventIds.splice(0, FAN_OUT_BATCH));
      },
      // The events are still in the table: the retry sweep fans them out.
      drop: () => {
        this.#eventIds = [];
      },
    });
  }

  /**
   * Runs `step` on the next turn, and again while `pending()`, one run per name at a time: what is
   * queued meanwhile goes in the running one's next step, so a burst costs a few transactions, not
   * one each. On a failure the queue is dropped (its work is still in the tables) and a retry sweep armed.
   */
  #drain(job: { name: string; pending: () => boolean; step: () => Promise<void>; drop: () => void }): void {
    if (!job.pending() || this.#draining.has(job.name)) return;
    this.#draining.add(job.name);
    const run = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      try {
        while (job.pending() && !this.#stopping) await job.step();
      } finally {
        this.#draining.delete(job.name);
      }
    });
    this.#track(
      run.catch((err: unknown) => {
        job.drop();
        this.#sweepFailed(err, `${job.name} failed`);
      }),
    );
  }

  /** One fan-out transaction (these events, or the oldest left behind); answers how many events it took. */
  async #fanOut(ids: number[] | null): Promise<number> {
    const now = this.#clock.now();
    const lease = (await insertIdsAreConsecutive(this.#sequelize)) ? this.#newLease(now) : null;
    const result = await this.#db(() => fanOutEvents(this.#sequelize, {
      ...(ids ? { ids } : {}),
      limit: ids?.length ?? FAN_OUT_BATCH,
      now,
      ...this.#renderOptions(),
      lease,
    }));
    if (result.rows.length > 0) this.#sendSoon(result.rows, result.webhooks);
    return result.events;
  }

  /** Resolves when no attempt, claim or sweep is in progress. */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /** Stops the sweeper and new work, lets in-flight attempts finish (aborted after the grace period), all recorded. */
  async stop(): Promise<void> {
    if (this.#stopping) return this.idle();
    this.#stopping = true;
    for (const off of this.#unsubscribe) off();
    for (const t of this.#timers) clearTimeout(t);
    await this.#sweeper?.stop();
    // A claim running now finishes (its rows are handed back, see #claimAndStart) before the database may close.
    await this.#sweepChain.catch(() => {});
    // Rows claimed ahead go back to the table now rather than when their leases run out.
    await this.#handBack([...this.#held.keys()], () => true).catch((err: unknown) => this.#logger.error({ err }, 'handing back held webhook deliveries failed'));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => {
      timer = setTimeout(() => resolve('grace'), this.#stopGraceMs);
    });
    const done = await Promise.race([this.idle().then(() => 'idle' as const), graceOver]);
    clearTimeout(timer);
    if (done === 'grace') {
      this.#logger.warn({ inFlight: this.#limiter.inFlight }, 'aborting webhook attempts still running at shutdown');
      this.#abort.abort();
      await this.idle();
    }
  }

  #renderOptions(): { publicUrl?: string } {
    return this.#config.PUBLIC_URL ? { publicUrl: this.#config.PUBLIC_URL } : {};
  }

  // --- claiming and dispatch ------------------------------------------------------------------

  /**
   * Claims these deliveries (if still due and a slot is free) and sends them, in the background.
   * One claim runs at a time: the deliveries of every event committed meanwhile wait for the next
   * one, so a burst of events costs a few claim transactions, not one each.
   */
  #sendSoon(rows: CommittedRow[], webhooks: WebhookRecord[]): void {
    const leased = rows.filter((r) => r.claimed);
    if (leased.length > 0) {
      this.#sendLeased(leased.map((r) => r.claimed!), webhooks);
      rows = rows.filter((r) => !r.claimed);
    }
    if (this.#stopping || rows.length === 0) return;
    const nowMs = this.#clock.now().getTime();
    for (const row of rows) {
      // A row whose webhook has no slot stays due in the table; the sweep a freed slot (or the
      // pause's end) starts takes it. Claiming it now would cost a transaction for nothing.
      if (this.#limiter.free === 0) this.#waitingForCapacity = true;
      else if (!this.#limiter.accepts(row.webhookId, nowMs)) this.#waiting.add(row.webhookId);
      else this.#soon.ids.push(row.deliveryId);
    }
    for (const webhook of webhooks) this.#soon.webhooks.set(webhook.id, webhook);
    this.#drain({
      name: 'starting webhook first attempts',
      pending: () => this.#soon.ids.length > 0,
      step: async () => {
        const ids = this.#soon.ids.splice(0, FIRST_ATTEMPT_CLAIM);
        const known = this.#soon.webhooks;
        if (this.#soon.ids.length === 0) this.#soon.webhooks = new Map();
        await this.#claimAndStart({ deliveryIds: ids, limit: ids.length }, known);
      },
      // The rows are still due: the retry sweep takes them.
      drop: () => {
        this.#soon = { ids: [], webhooks: new Map() };
      },
    });
  }

  /**
   * Rows the outbox inserted already leased to us: each is sent at once when its webhook has a
   * slot, or held for the next slot to free; what cannot be held goes back to the table (one
   * UPDATE), due for the sweeper. No claim transaction either way.
   */
  #sendLeased(rows: ClaimedDelivery[], webhooks: WebhookRecord[]): void {
    const byId = new Map(webhooks.map((w) => [w.id, w]));
    const nowMs = this.#clock.now().getTime();
    const back: ClaimedDelivery[] = [];
    for (const row of rows) {
      const webhook = byId.get(row.webhookId);
      if (this.#stopping || !webhook) back.push(row);
      else if (!this.#held.has(row.webhookId) && this.#limiter.tryAcquire(row.webhookId, nowMs)) {
        this.#wakeAfterPause(row.webhookId, nowMs);
        this.#start(row, webhook);
      } else if (this.#limiter.free > 0 && !this.#limiter.isPaused(row.webhookId, nowMs) && this.#heldRoom(row.webhookId) > 0) {
        this.#hold(row.webhookId).push({ row, webhook, heldAtMs: nowMs });
      } else {
        back.push(row);
        if (this.#limiter.free === 0) this.#waitingForCapacity = true;
        else this.#waiting.add(row.webhookId);
      }
    }
    for (const webhookId of new Set(rows.map((r) => r.webhookId))) if (this.#held.has(webhookId)) this.#startHeld(webhookId);
    if (back.length > 0) void this.#release(back);
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#sweepChain.then(async () => {
      this.#sweepRunning = true;
      try {
        return await work();
      } finally {
        this.#sweepRunning = false;
      }
    });
    this.#sweepChain = run.catch(() => {});
    return run;
  }

  async #sweep(): Promise<number> {
    let started = 0;
    // Rows already claimed ahead go first, wherever a slot has freed.
    for (const webhookId of [...this.#held.keys()]) started += this.#startHeld(webhookId);
    while (!this.#stopping) {
      const limit = Math.min(this.#config.WEBHOOK_SWEEP_BATCH, this.#limiter.free);
      if (limit <= 0) {
        this.#waitingForCapacity = true;
        break;
      }
      const { claimed, seen, postponed } = await this.#claimAndStart({ limit }, null);
      started += claimed;
      // Fewer candidates than asked: nothing else is due. None taken: every candidate's webhook is
      // full, unless some stood behind their conversation's head: moved away, they uncover what is due after them.
      if (seen < limit || (claimed === 0 && postponed === 0)) break;
    }
    return started;
  }

  /**
   * One claim: takes a slot for each candidate whose webhook has one (the others stay untouched
   * in the table, for a later sweep or another process) and starts those attempts.
   */
  async #claimAndStart(
    scope: { deliveryIds?: string[]; limit: number },
    known: Map<number, WebhookRecord> | null,
  ): Promise<{ claimed: number; seen: number; postponed: number }> {
    const now = this.#clock.now();
    const nowMs = now.getTime();
    // A full (not paused) webhook with room in its held queue stays a candidate: its rows are claimed ahead.
    const skipped = new Set(this.#limiter.blockedKeys(nowMs).filter((id) => this.#limiter.isPaused(id, nowMs) || this.#heldRoom(id) === 0));
    const result = await this.#db(() => claimDeliveries(this.#sequelize, {
      owner: this.#newLeaseOwner(),
      now,
      leaseUntil: new Date(nowMs + this.#leaseMs),
      limit: scope.limit,
      ...(scope.deliveryIds ? { deliveryIds: scope.deliveryIds } : {}),
      skipWebhookIds: [...skipped],
      quota: this.#claimQuota(nowMs),
    }));
    for (const webhookId of result.refused) skipped.add(webhookId);
    if (result.capacityExhausted) this.#waitingForCapacity = true;
    for (const webhookId of skipped) this.#waiting.add(webhookId);
    // A slot may have freed while the claim ran, before these rows were marked as waiting for it.
    if ([...skipped].some((webhookId) => this.#limiter.accepts(webhookId, this.#clock.now().getTime()))) this.wake();
    const rows = result.claimed;
    let webhooks = known;
    if (!webhooks || !rows.every((r) => webhooks!.has(r.webhookId))) {
      try {
        webhooks = await this.#db(() => getWebhooksByIds(this.#sequelize, rows.map((r) => r.webhookId)));
      } catch (err) {
        // Nothing started: the rows go back to the table (or come due when their leases end).
        void this.#release(rows);
        throw err;
      }
    }
    if (this.#stopping) {
      // Stopped while the claim ran: nothing new starts; every row goes back to the table, due.
      await this.#release(rows);
      return { claimed: rows.length, seen: result.seen, postponed: result.postponed };
    }
    const heldAtMs = this.#clock.now().getTime();
    const back: ClaimedDelivery[] = [];
    const aheadFor = new Set<number>();
    for (const row of rows) {
      const webhook = webhooks.get(row.webhookId);
      // Deleted since the claim, rows and all.
      if (!webhook) continue;
      if (!result.ahead.has(row.id) && this.#limiter.tryAcquire(row.webhookId, heldAtMs)) {
        // That request may have used the last of the receiver's window: sweep again when it resets.
        this.#wakeAfterPause(row.webhookId, heldAtMs);
        this.#start(row, webhook);
      } else if (result.ahead.has(row.id) || this.#heldRoom(row.webhookId) > 0) {
        // Its slots are taken (or were taken meanwhile): held for the slots about to free.
        this.#hold(row.webhookId).push({ row, webhook, heldAtMs });
        aheadFor.add(row.webhookId);
      } else {
        back.push(row);
        this.#waiting.add(row.webhookId);
      }
    }
    if (back.length > 0) void this.#release(back);
    // A slot may have freed while the claim ran.
    for (const webhookId of aheadFor) this.#startHeld(webhookId);
    return { claimed: rows.length, seen: result.seen, postponed: result.postponed };
  }

  /** What each webhook may take in a claim now: its free slots, and room to hold rows ahead unless that would pause it. */
  #claimQuota(nowMs: number): ClaimQuota {
    const byWebhook = new Map<number, WebhookQuota>();
    for (const webhookId of new Set([...this.#limiter.knownKeys(), ...this.#held.keys()])) {
      const share = this.#limiter.share(webhookId, nowMs);
      byWebhook.set(webhookId, { slots: share.slots, ahead: share.pausesAfter ? 0 : this.#heldRoom(webhookId) });
    }
    const fresh = this.#limiter.share(Number.NaN, nowMs);
    return { total: this.#limiter.free, byWebhook, others: { slots: fresh.slots, ahead: fresh.pausesAfter ? 0 : this.#heldCap } };
  }

  /**
   * Starts one claimed row whose slots are taken. Its slots free when its HTTP exchange ends (the
   * next POST need not wait for our database write); it counts against the attempts waiting to be
   * written until it is recorded.
   */
  #start(row: ClaimedDelivery, webhook: WebhookRecord): void {
    const attempt: Promise<unknown> = this.#shared
      ? this.#shared.admit(row.webhookId).then((admission): Promise<unknown> =>
          admission.ok ? this.#attempt(row, webhook, () => this.#releaseWebhookSlot(row.webhookId), admission.ticket) : this.#notAdmitted(row, admission.waitMs),
        )
      : this.#attempt(row, webhook, () => this.#releaseWebhookSlot(row.webhookId));
    this.#track(attempt.finally(() => this.#attemptRecorded()));
  }

  /**
   * Another instance holds the webhook's slots or paused it: paused here too for as long, and its
   * rows (this one and those held) go back to the table, due for whichever instance may send first.
   */
  async #notAdmitted(row: ClaimedDelivery, waitMs: number): Promise<void> {
    this.#pause(row.webhookId, this.#clock.now().getTime() + waitMs);
    const back = this.#handBack([row.webhookId], () => true);
    this.#releaseWebhookSlot(row.webhookId);
    await Promise.all([back, this.#release([row])]);
  }

  #hold(webhookId: number): HeldRow[] {
    let queue = this.#held.get(webhookId);
    if (!queue) this.#held.set(webhookId, (queue = []));
    return queue;
  }

  /** How many more rows the webhook may have claimed ahead. */
  #heldRoom(webhookId: number): number {
    return Math.max(0, this.#heldCap - (this.#held.get(webhookId)?.length ?? 0));
  }

  /**
   * Starts the webhook's held rows while it has slots. Rows held too long (a slow receiver) go back
   * to the table, where they are due at once, rather than be sent with a lease nearly spent or a
   * webhook record that may have changed since. When the queue runs low, a sweep refills it.
   */
  #startHeld(webhookId: number): number {
    if (this.#stopping) return 0;
    const nowMs = this.#clock.now().getTime();
    const oldest = this.#held.get(webhookId)?.[0];
    if (oldest && nowMs - oldest.heldAtMs > CLAIM_AHEAD_MAX_MS) {
      void this.#handBack([webhookId], (held) => nowMs - held.heldAtMs > CLAIM_AHEAD_MAX_MS);
    }
    const queue = this.#held.get(webhookId);
    if (!queue) return 0;
    let started = 0;
    while (queue.length > 0 && this.#limiter.tryAcquire(webhookId, nowMs)) {
      const { row, webhook } = queue.shift()!;
      this.#start(row, webhook);
      started++;
    }
    // Every slot in the total taken (attempts waiting to be recorded): the next one to free starts these.
    if (queue.length > 0 && this.#limiter.free === 0) this.#waitingForCapacity = true;
    if (queue.length === 0) this.#held.delete(webhookId);
    if (queue.length <= this.#heldCap / 2 && this.#waiting.delete(webhookId)) this.wake();
    return started;
  }

  /** Returns held rows of these webhooks that `which` selects to the table (unleased, due now). */
  #handBack(webhookIds: number[], which: (held: HeldRow) => boolean): Promise<void> {
    const back: HeldRow[] = [];
    for (const webhookId of webhookIds) {
      const queue = this.#held.get(webhookId);
      if (!queue) continue;
      const keep = queue.filter((held) => !which(held));
      back.push(...queue.filter(which));
      if (keep.length) this.#held.set(webhookId, keep);
      else this.#held.delete(webhookId);
    }
    return this.#release(back.map((h) => h.row));
  }

  /** Unleases claimed rows we will not send now: due at once, for a sweep (ours or another process's). */
  #release(rows: ClaimedDelivery[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const now = this.#clock.now();
    return this.#track(
      this.#db(() => releaseLeases(this.#sequelize, rows.map((r) => r.id), rows.map((r) => r.leaseOwner), now)).then(
        () => {
          if (!this.#stopping) this.wake();
        },
        (err: unknown) => this.#logger.error({ err }, 'handing back held webhook deliveries failed; they are due again when their leases end'),
      ),
    );
  }

  // --- one attempt ----------------------------------------------------------------------------

  /** Sends one claimed row and records the attempt; never throws. `sentOut` runs once the HTTP exchange is over. */
  async #attempt(row: ClaimedDelivery, webhook: WebhookRecord, sentOut?: () => void, ticket: string | null = null): Promise<AttemptResult> {
    const attemptNumber = row.attemptNumber + 1;
    let sent: SendResult;
    try {
      const secrets = openSigningSecrets(webhook, this.#secretBox);
      sent = await this.#sender.send(
        { url: webhook.url, body: row.body, event: row.event, deliveryId: row.deliveryId, ...secrets, isTest: row.isTest, format: webhook.format },
        this.#abort.signal,
      );
    } catch {
      const at = this.#clock.now();
      sent = { outcome: undecryptable, startedAt: at, requestHeaders: {}, statusCode: null, responseHeaders: null, responseBody: null, durationMs: 0, error: undecryptable.message };
    }
    const { outcome } = sent;
    // Paused before the webhook's slot frees, so no attempt can slip in between a 429 and its pause.
    const answeredAt = this.#clock.now().getTime();
    if (outcome.rateLimit) this.#limiter.setBudget(webhook.id, outcome.rateLimit, answeredAt);
    if (outcome.pauseMs) this.#pause(webhook.id, answeredAt + outcome.pauseMs);
    else this.#wakeAfterPause(webhook.id, answeredAt);
    // Sent before the slot frees here: Redis runs it ahead of any admit() that slot lets through.
    if (this.#shared) this.#track(this.#shared.settle(webhook.id, ticket, outcome, sent.statusCode !== null));
    sentOut?.();
    const result: AttemptResult = {
      delivery_id: row.deliveryId,
      attempt_number: attemptNumber,
      success: outcome.ok,
      status_code: sent.statusCode,
      duration_ms: sent.durationMs,
      error: sent.error,
      cause: outcome.cause,
    };
    try {
      const now = this.#clock.now();
      const update = await this.#records.add({
        rowId: row.id,
        owner: row.leaseOwner,
        now,
        attempt: {
          attemptNumber,
          requestHeaders: sent.requestHeaders,
          responseStatus: sent.statusCode,
          responseHeaders: sent.responseHeaders,
          responseBody: sent.responseBody,
          durationMs: sent.durationMs,
          error: sent.error,
          cause: outcome.cause,
          createdAt: sent.startedAt,
        },
        decide: (state) =>
          decideDelivery(state, { attemptNumber, outcome, statusCode: sent.statusCode, error: sent.error }, now, this.#config.WEBHOOK_RETRY_DELAYS),
      });
      if (!update) {
        this.#logger.warn({ deliveryId: row.deliveryId }, 'webhook attempt not recorded: the lease was lost (the row was claimed again or deleted)');
        return result;
      }
      // The next row of this conversation is due now (order per conversation): claim it.
      if (update.releasedNext) this.wake();
      this.#metrics.attempt({ webhookId: webhook.id, event: row.event, cause: outcome.cause, durationMs: sent.durationMs });
      this.#logger.debug({ deliveryId: row.deliveryId, webhookId: webhook.id, attemptNumber, cause: outcome.cause, status: update.status }, 'webhook attempt');
      if (!row.isTest) await this.#updateHealth(webhook, outcome, update, now);
    } catch (err) {
      this.#logger.error({ err, deliveryId: row.deliveryId }, 'recording a webhook attempt failed');
    }
    return result;
  }

  /**
   * The attempt's HTTP exchange is over: its webhook's slot and its slot in the total free. Held
   * rows of the webhook start first; rows left in the table for it (or for any slot) get a sweep.
   */
  #releaseWebhookSlot(webhookId: number): void {
    this.#limiter.sent(webhookId);
    if (this.#held.has(webhookId)) this.#startHeld(webhookId);
    else if (this.#waiting.delete(webhookId)) this.wake();
    this.#capacityFreed();
  }

  /** The attempt is written: it no longer counts against the unrecorded attempts allowed. */
  #attemptRecorded(): void {
    this.#limiter.recorded();
    this.#capacityFreed();
  }

  /** If rows were left waiting because every slot was taken, sweeps now. */
  #capacityFreed(): void {
    if (!this.#waitingForCapacity || this.#limiter.free === 0) return;
    this.#waitingForCapacity = false;
    this.wake();
  }

  /** If the limiter paused the webhook (its rate-limit window is used up), sweeps again when it ends. */
  #wakeAfterPause(webhookId: number, nowMs: number): void {
    const until = this.#limiter.pausedUntil(webhookId, nowMs);
    if (until > nowMs) this.#pause(webhookId, until);
  }

  /** Pauses the webhook and arms one wake-up for the pause's end (a repeated pause arms none). */
  #pause(webhookId: number, untilMs: number): void {
    this.#limiter.pause(webhookId, untilMs);
    const key = `${webhookId}:${untilMs}`;
    if (this.#pauseTimers.has(key)) return;
    this.#pauseTimers.add(key);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#pauseTimers.delete(key);
      this.wake();
    }, Math.max(0, untilMs - this.#clock.now().getTime()) + 10);
    timer.unref();
    this.#timers.add(timer);
  }

  async #updateHealth(webhook: WebhookRecord, outcome: Outcome, update: DeliveryUpdate, now: Date): Promise<void> {
    if (outcome.ok) {
      // Only the first success after a failure writes; a healthy webhook costs no extra query.
      if (!this.#healthy.has(webhook.id)) {
        await this.#db(() => recordWebhookSuccess(this.#sequelize, webhook.id));
        this.#healthy.add(webhook.id);
      }
      return;
    }
    this.#healthy.delete(webhook.id);
    const current = await this.#db(() => recordWebhookFailure(this.#sequelize, webhook.id, { at: now, deliveryFailed: update.status === 'failed' }));
    const reason =
      outcome.disableReason ??
      (current
        ? healthVerdict(current, now, { afterFailures: this.#config.WEBHOOK_DISABLE_AFTER_FAILURES, afterDays: this.#config.WEBHOOK_DISABLE_AFTER_DAYS })
        : null);
    const disabled = (t: Transaction) => this.#operational.webhookDisabled({ webhookId: webhook.id, reason: reason!, at: now }, t);
    if (reason && (await this.#db(() => disableWebhook(this.#sequelize, webhook.id, reason, now, disabled)))) {
      // Its rows claimed ahead go back to the table, where they wait for the webhook to be enabled.
      await this.#handBack([webhook.id], () => true);
      this.#logger.warn({ webhookId: webhook.id, reason }, 'webhook disabled');
    }
  }

  /**
   * Runs one database operation of the engine's own, at most WEBHOOK_DB_CONCURRENCY at once: the
   * engine shares the chat's connection pool, and its claims and records must never hold every
   * connection while a visitor's message waits. Never wrap HTTP in it, and never nest it.
   * `first`: ahead of the queue. Recording attempts frees slots; a claim queued before it would
   * only find every slot still taken.
   */
  #db<T>(work: () => Promise<T>, options?: { first?: boolean }): Promise<T> {
    return this.#dbGate.run(work, options);
  }

  #newLeaseOwner(): string {
    return `${this.#instanceId}.${++this.#leaseSeq}`;
  }

  /** A lease taken now: rows inserted with it are this engine's to send until it runs out. */
  #newLease(now: Date): { owner: string; until: Date } {
    return { owner: this.#newLeaseOwner(), until: new Date(now.getTime() + this.#leaseMs) };
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#tasks.add(promise);
    void promise.finally(() => this.#tasks.delete(promise)).catch(() => {});
    return promise;
  }
}
