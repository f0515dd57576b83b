import type { Sequelize } from 'sequelize';
import type { Logger } from '../../logger.js';
import { claimDeliveries, type ClaimQuota, type WebhookQuota } from '../db/claim.js';
import type { ClaimedDelivery } from '../db/delivery-rows.js';
import { releaseLeases } from '../db/release.js';
import { getWebhooksByIds, type WebhookRecord } from '../db/webhook-store.js';
import type { Clock, SendResult } from '../http/sender.js';
import type { CommittedRow } from '../outbox/outbox.js';
import type { AttemptResult, Attempts } from './attempt.js';
import type { Leases } from './leases.js';
import type { HeldRow, LocalQueue } from './local-queue.js';
import type { DbGate, Runtime } from './runtime.js';
import type { SharedWebhookLimits } from './shared-limits.js';
import type { Slots } from './slots.js';
import type { WebhookHealth } from './webhook-health.js';

/** Most deliveries one first-attempt claim names. */
const FIRST_ATTEMPT_CLAIM = 500;

export interface DispatcherOptions {
  sequelize: Sequelize;
  db: DbGate;
  clock: Clock;
  logger: Logger;
  runtime: Runtime;
  leases: Leases;
  slots: Slots;
  queue: LocalQueue;
  attempts: Attempts;
  health: WebhookHealth;
  shared: SharedWebhookLimits | null;
  sweepBatch: number;
  /** Fans out the events left in the event outbox; runs before every full sweep. */
  backlog: () => Promise<void>;
}

/**
 * Claims due rows and starts their attempts: first attempts right after their commit, sweeps of
 * whatever else is due (serialised: one claim loop at a time), and the held rows a freed slot
 * starts. The parts it drives answer data; what to wake is decided here.
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  #sweepChain: Promise<unknown> = Promise.resolve();
  #sweepQueued = false;
  #sweepRunning = false;
  #retryArmed = false;
  /** The time of the recheck sweep armed for rows a claim moved (see #recheck), or null. */
  #recheckAtMs: number | null = null;
  /** Deliveries of committed events waiting for their first claim (see sendSoon). */
  #soon: { ids: string[]; webhooks: Map<number, WebhookRecord> } = { ids: [], webhooks: new Map() };

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Whether a sweep is running now (the cron tick skips then). */
  get sweeping(): boolean {
    return this.#sweepRunning;
  }

  /** Starts a sweep now, or right after the one running (e.g. after a webhook is enabled again). */
  wake(): void {
    if (this.#o.runtime.stopping || this.#sweepQueued) return;
    this.#sweepQueued = true;
    this.#o.runtime.track(
      this.#serialised(() => {
        this.#sweepQueued = false;
        return this.#sweep();
      }).catch((err: unknown) => this.sweepFailed(err, 'webhook sweep failed')),
    );
  }

  /** The backlog's fan-out, then a sweep; answers how many attempts were started. */
  sweepOnce(): Promise<number> {
    return this.#o.runtime.track(
      this.#serialised(async () => {
        await this.#o.backlog();
        return this.#sweep();
      }),
    );
  }

  /** A claim failed (database hiccup): rows are still due; try again soon rather than at the next cron tick. */
  sweepFailed(err: unknown, message: string): void {
    this.#o.logger.error({ err }, message);
    if (this.#o.runtime.stopping || this.#retryArmed) return;
    this.#retryArmed = true;
    this.#o.runtime.later(1000, () => {
      this.#retryArmed = false;
      // The whole sweep: a failed fan-out's events are in the event table, not among the due rows.
      this.sweepOnce().catch((e: unknown) => this.sweepFailed(e, 'webhook sweep failed'));
    });
  }

  /** Resolves once the claim running now (if any) is over. */
  async settled(): Promise<void> {
    await this.#sweepChain.catch(() => {});
  }

  /** Rows claimed ahead go back to the table now rather than when their leases run out. */
  releaseHeld(): Promise<void> {
    return this.#release(this.#o.queue.releaseAll().map((h) => h.row));
  }

  /** Sends one row claimed outside the limiter (the Test action) and records it. */
  sendClaimed(row: ClaimedDelivery, webhook: WebhookRecord): Promise<AttemptResult> {
    return this.#o.runtime.track(this.#attempt(row, webhook, null));
  }

  // --- first attempts -------------------------------------------------------------------------

  /**
   * Claims these deliveries (if still due and a slot is free) and sends them, in the background.
   * One claim runs at a time: the deliveries of every event committed meanwhile wait for the next
   * one, so a burst of events costs a few claim transactions, not one each.
   */
  sendSoon(rows: CommittedRow[], webhooks: WebhookRecord[]): void {
    const { runtime, slots } = this.#o;
    const leased = rows.filter((r) => r.claimed);
    if (leased.length > 0) {
      this.#sendLeased(leased.map((r) => r.claimed!), webhooks);
      rows = rows.filter((r) => !r.claimed);
    }
    if (runtime.stopping || rows.length === 0) return;
    const nowMs = this.#o.clock.now().getTime();
    for (const row of rows) {
      // A row whose webhook has no slot stays due in the table; the sweep a freed slot (or the
      // pause's end) starts takes it. Claiming it now would cost a transaction for nothing.
      if (slots.free === 0 || !slots.accepts(row.webhookId, nowMs)) slots.leftDue(row.webhookId);
      else this.#soon.ids.push(row.deliveryId);
    }
    for (const webhook of webhooks) this.#soon.webhooks.set(webhook.id, webhook);
    runtime.drain({
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
    const { slots, queue } = this.#o;
    const byId = new Map(webhooks.map((w) => [w.id, w]));
    const nowMs = this.#o.clock.now().getTime();
    const back: ClaimedDelivery[] = [];
    for (const row of rows) {
      const webhook = byId.get(row.webhookId);
      if (this.#o.runtime.stopping || !webhook) back.push(row);
      else if (!queue.has(row.webhookId) && slots.acquire(row.webhookId, nowMs)) this.#start(row, webhook);
      else if (slots.free > 0 && !slots.isPaused(row.webhookId, nowMs) && queue.room(row.webhookId) > 0) {
        queue.hold({ row, webhook, heldAtMs: nowMs });
      } else {
        back.push(row);
        slots.leftDue(row.webhookId);
      }
    }
    for (const webhookId of new Set(rows.map((r) => r.webhookId))) if (queue.has(webhookId)) this.#startHeld(webhookId);
    if (back.length > 0) void this.#release(back);
  }

  // --- sweeps and claims ----------------------------------------------------------------------

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
    for (const webhookId of this.#o.queue.webhookIds()) started += this.#startHeld(webhookId);
    while (!this.#o.runtime.stopping) {
      const limit = Math.min(this.#o.sweepBatch, this.#o.slots.free);
      if (limit <= 0) {
        this.#o.slots.waitForCapacity();
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
    const { sequelize, db, clock, slots, queue } = this.#o;
    const now = clock.now();
    const nowMs = now.getTime();
    // A full (not paused) webhook with room in its held queue stays a candidate: its rows are claimed ahead.
    const skipped = new Set(slots.blockedKeys(nowMs).filter((id) => slots.isPaused(id, nowMs) || queue.room(id) === 0));
    const result = await db(() => claimDeliveries(sequelize, {
      owner: this.#o.leases.owner(),
      now,
      leaseUntil: new Date(nowMs + this.#o.leases.ms),
      limit: scope.limit,
      ...(scope.deliveryIds ? { deliveryIds: scope.deliveryIds } : {}),
      skipWebhookIds: [...skipped],
      quota: this.#claimQuota(nowMs),
    }));
    if (result.recheckAt) this.#recheck(result.recheckAt.getTime());
    for (const webhookId of result.refused) skipped.add(webhookId);
    if (result.capacityExhausted) slots.waitForCapacity();
    slots.claimLeft(skipped);
    const rows = result.claimed;
    let webhooks = known;
    if (!webhooks || !rows.every((r) => webhooks!.has(r.webhookId))) {
      try {
        webhooks = await db(() => getWebhooksByIds(sequelize, rows.map((r) => r.webhookId)));
      } catch (err) {
        // Nothing started: the rows go back to the table (or come due when their leases end).
        void this.#release(rows);
        throw err;
      }
    }
    if (this.#o.runtime.stopping) {
      // Stopped while the claim ran: nothing new starts; every row goes back to the table, due.
      await this.#release(rows);
      return { claimed: rows.length, seen: result.seen, postponed: result.postponed };
    }
    const heldAtMs = clock.now().getTime();
    const back: ClaimedDelivery[] = [];
    const aheadFor = new Set<number>();
    for (const row of rows) {
      const webhook = webhooks.get(row.webhookId);
      // Deleted since the claim, rows and all.
      if (!webhook) continue;
      if (!result.ahead.has(row.id) && slots.acquire(row.webhookId, heldAtMs)) {
        this.#start(row, webhook);
      } else if (result.ahead.has(row.id) || queue.room(row.webhookId) > 0) {
        // Its slots are taken (or were taken meanwhile): held for the slots about to free.
        queue.hold({ row, webhook, heldAtMs });
        aheadFor.add(row.webhookId);
      } else {
        back.push(row);
        slots.waitFor(row.webhookId);
      }
    }
    if (back.length > 0) void this.#release(back);
    // A slot may have freed while the claim ran.
    for (const webhookId of aheadFor) this.#startHeld(webhookId);
    return { claimed: rows.length, seen: result.seen, postponed: result.postponed };
  }

  /**
   * Rows a claim moved past their conversation's head come due again at `atMs`: a sweep then,
   * whether or not the head's end woke one (a release can miss a row, e.g. one a concurrent claim
   * held locked), so no row of a conversation waits for the cron. One timer, the earliest.
   */
  #recheck(atMs: number): void {
    const nowMs = this.#o.clock.now().getTime();
    // One armed for a time still ahead and no later than this one will do (one whose time has
    // passed by the clock has not fired yet only if the clock jumped: a test's, or a corrected one).
    if (this.#recheckAtMs !== null && this.#recheckAtMs <= atMs && this.#recheckAtMs > nowMs) return;
    this.#recheckAtMs = atMs;
    this.#o.runtime.later(Math.max(0, atMs - nowMs), () => {
      if (this.#recheckAtMs === atMs) this.#recheckAtMs = null;
      this.wake();
    });
  }

  /** What each webhook may take in a claim now: its free slots, and room to hold rows ahead unless that would pause it. */
  #claimQuota(nowMs: number): ClaimQuota {
    const { slots, queue } = this.#o;
    const byWebhook = new Map<number, WebhookQuota>();
    for (const webhookId of new Set([...slots.knownKeys(), ...queue.webhookIds()])) {
      const share = slots.share(webhookId, nowMs);
      byWebhook.set(webhookId, { slots: share.slots, ahead: share.pausesAfter ? 0 : queue.room(webhookId) });
    }
    const fresh = slots.share(Number.NaN, nowMs);
    return { total: slots.free, byWebhook, others: { slots: fresh.slots, ahead: fresh.pausesAfter ? 0 : queue.cap } };
  }

  /** Unleases claimed rows we will not send now: due at once, for a sweep (ours or another process's). */
  #release(rows: ClaimedDelivery[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const { sequelize, db, clock, runtime } = this.#o;
    const now = clock.now();
    return runtime.track(
      db(() => releaseLeases(sequelize, rows.map((r) => r.id), rows.map((r) => r.leaseOwner), now)).then(
        () => this.wake(),
        (err: unknown) => this.#o.logger.error({ err }, 'handing back held webhook deliveries failed; they are due again when their leases end'),
      ),
    );
  }

  // --- held rows and slots --------------------------------------------------------------------

  /**
   * Starts the webhook's held rows while it has slots (rows held too long go back to the table).
   * When its queue runs low and rows of its wait in the table, a sweep refills it.
   */
  #startHeld(webhookId: number): number {
    const { slots, queue } = this.#o;
    const nowMs = this.#o.clock.now().getTime();
    const next = queue.next(webhookId, nowMs, () => slots.tryAcquire(webhookId, nowMs));
    if (!next) return 0;
    if (next.expired.length > 0) void this.#release(next.expired.map((h) => h.row));
    if (next.left === null) return 0;
    for (const { row, webhook } of next.ready) this.#start(row, webhook);
    // Every slot in the total taken (attempts waiting to be recorded): the next one to free starts these.
    if (next.left > 0 && slots.free === 0) slots.waitForCapacity();
    if (next.left <= queue.cap / 2) slots.refill(webhookId);
    return next.ready.length;
  }

  /**
   * Starts one claimed row whose slots are taken. Its slots free when its HTTP exchange ends (the
   * next POST need not wait for our database write); it counts against the attempts waiting to be
   * written until it is recorded.
   */
  #start(row: ClaimedDelivery, webhook: WebhookRecord): void {
    const { shared, runtime, slots } = this.#o;
    const sentOut = (): void => this.#slotFreed(row.webhookId);
    const attempt: Promise<unknown> = shared
      ? shared.admit(row.webhookId).then((admission): Promise<unknown> =>
          admission.ok ? this.#attempt(row, webhook, admission.ticket, sentOut) : this.#notAdmitted(row, admission.waitMs),
        )
      : this.#attempt(row, webhook, null, sentOut);
    runtime.track(attempt.finally(() => slots.recorded()));
  }

  /**
   * Another instance holds the webhook's slots or paused it: paused here too for as long, and its
   * rows (this one and those held) go back to the table, due for whichever instance may send first.
   */
  async #notAdmitted(row: ClaimedDelivery, waitMs: number): Promise<void> {
    this.#o.slots.pause(row.webhookId, this.#o.clock.now().getTime() + waitMs);
    const back = this.#release(this.#o.queue.handBack([row.webhookId], () => true).map((h: HeldRow) => h.row));
    this.#slotFreed(row.webhookId);
    await Promise.all([back, this.#release([row])]);
  }

  /**
   * The attempt's HTTP exchange is over: its webhook's slot and its slot in the total free. Held
   * rows of the webhook start first; rows left in the table for it (or for any slot) get a sweep.
   */
  #slotFreed(webhookId: number): void {
    const { slots, queue } = this.#o;
    slots.sent(webhookId);
    const held = queue.has(webhookId);
    if (held) this.#startHeld(webhookId);
    slots.freed(held ? undefined : webhookId);
  }

  /** One attempt, with what its answer and its record mean for slots, sweeps and the webhook's health. */
  async #attempt(row: ClaimedDelivery, webhook: WebhookRecord, ticket: string | null, sentOut?: () => void): Promise<AttemptResult> {
    const { clock, runtime, slots, shared, queue, logger } = this.#o;
    const answered = (sent: SendResult): void => {
      // Paused before the webhook's slot frees, so no attempt can slip in between a 429 and its pause.
      slots.answered(webhook.id, sent.outcome, clock.now().getTime());
      // Sent before the slot frees here: Redis runs it ahead of any admit() that slot lets through.
      if (shared) runtime.track(shared.settle(webhook.id, ticket, sent.outcome, sent.statusCode !== null));
      sentOut?.();
    };
    const { result, recorded } = await this.#o.attempts.run(row, webhook, runtime.signal, answered);
    if (!recorded) return result;
    // The next row of this conversation is due now (order per conversation): claim it.
    if (recorded.update.releasedNext) this.wake();
    if (row.isTest) return result;
    try {
      const reason = await this.#o.health.after(webhook, recorded.outcome, recorded.update, recorded.at);
      if (reason) {
        // Its rows claimed ahead go back to the table, where they wait for the webhook to be enabled.
        await this.#release(queue.handBack([webhook.id], () => true).map((h) => h.row));
        logger.warn({ webhookId: webhook.id, reason }, 'webhook disabled');
      }
    } catch (err) {
      logger.error({ err, deliveryId: row.deliveryId }, 'recording a webhook attempt failed');
    }
    return result;
  }
}
