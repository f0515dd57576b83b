import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorReply } from 'redis';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { RedisLink } from '../../redis/link.js';
import type { Outcome } from '../http/classify.js';
import { ADMIT, SETTLE } from './shared-scripts.js';

/** May this request go out: yes (with the shared slot to give back, null when none was taken), or not for `waitMs`. */
export type Admission = { ok: true; ticket: string | null } | { ok: false; waitMs: number };

export interface SharedLimitsOptions {
  /** WEBHOOK_CONCURRENCY_PER_WEBHOOK, for all instances together. */
  perWebhook: number;
  /** How long a slot's lease lasts: beyond any request's timeout, so only a dead instance's leases run out. */
  leaseMs: number;
  /** Longest admit() waits for a slot or a short pause before answering "not now". */
  maxWaitMs: number;
  logger: Logger;
}

/** How long what a receiver said of its window is remembered once it is no longer used. */
const KEEP_WINDOW_MS = 10 * 60_000;
/** Two answers whose windows end this close together describe one window (network jitter). */
const SAME_WINDOW_MS = 250;
/** How often a request waiting for a slot another instance holds asks again. */
const POLL_MS = 40;

/**
 * A webhook's pause (429 / Retry-After, a used-up X-RateLimit window), its rate-limit window and its
 * concurrency cap, kept in the Redis all instances share (see shared-scripts.ts for the keys and the
 * lease-based semaphore), so every instance honours what one of them learned. It sits in front of
 * the engine's AttemptLimiter, which still does the same per process: a request goes out only when
 * both agree. While Redis is away every request is admitted here (the per-process limiter alone
 * holds, as without REDIS_URL); the link logs the outage once and reconnects by itself.
 */
export class SharedWebhookLimits {
  readonly #link: () => RedisLink | null;
  readonly #options: SharedLimitsOptions;
  readonly #prefix = randomBytes(6).toString('hex');
  #seq = 0;
  #scriptErrorLogged = false;

  /** `link` may be a getter: the delivery worker connects in the background and may start without one. */
  constructor(link: RedisLink | (() => RedisLink | null), options: SharedLimitsOptions) {
    this.#link = typeof link === 'function' ? link : () => link;
    this.#options = options;
  }

  /**
   * Takes a shared slot for one request to the webhook. Waits (up to maxWaitMs) while another
   * instance holds every slot or the pause is shorter than that; otherwise answers how long to wait.
   */
  async admit(webhookId: number): Promise<Admission> {
    const deadline = Date.now() + this.#options.maxWaitMs;
    const ticket = `${this.#prefix}.${++this.#seq}`;
    for (;;) {
      const link = this.#up();
      if (!link) return { ok: true, ticket: null };
      let reply: [number, number];
      try {
        reply = (await link.client.eval(ADMIT, {
          keys: this.#keys(link, webhookId),
          arguments: [String(this.#options.perWebhook), ticket, String(this.#options.leaseMs), String(KEEP_WINDOW_MS)],
        })) as [number, number];
      } catch (err) {
        this.#failed(err);
        return { ok: true, ticket: null };
      }
      const [code, waitMs] = reply;
      if (code === 1) return { ok: true, ticket };
      const wait = code === 0 ? waitMs : POLL_MS;
      if (Date.now() + wait > deadline) return { ok: false, waitMs: code === 0 ? waitMs : POLL_MS };
      await sleep(wait);
    }
  }

  /**
   * Tells every instance what the receiver answered (pause, rate-limit window) and gives the slot
   * back, in one step. Never throws: Redis away, the lease simply runs out.
   */
  async settle(webhookId: number, ticket: string | null, outcome: Outcome, answered: boolean): Promise<void> {
    const link = this.#up();
    if (!link) return;
    const window = outcome.rateLimit ?? null;
    try {
      await link.client.eval(SETTLE, {
        keys: this.#keys(link, webhookId),
        arguments: [
          ticket ?? '',
          String(outcome.pauseMs ?? -1),
          answered ? '1' : '0',
          String(window ? window.remaining : -1),
          String(window ? window.resetAfterMs : 0),
          String(window?.limit ?? -1),
          String(KEEP_WINDOW_MS),
          String(SAME_WINDOW_MS),
        ],
      });
    } catch (err) {
      this.#failed(err);
    }
  }

  #up(): RedisLink | null {
    const link = this.#link();
    return link?.up ? link : null;
  }

  #keys(link: RedisLink, webhookId: number): string[] {
    const base = `${link.namespace}webhook:${webhookId}:`;
    return [`${base}pause`, `${base}window`, `${base}slots`];
  }

  /** Redis refusing a script is not the outage the link reports (a lost connection): say it once. */
  #failed(err: unknown): void {
    if (!(err instanceof ErrorReply) || this.#scriptErrorLogged) return;
    this.#scriptErrorLogged = true;
    this.#options.logger.error({ err }, 'shared webhook limits failed in Redis: pauses and caps hold per instance');
  }
}

/**
 * The shared limits for these settings. A slot's lease outlives the longest request (it is aborted at
 * WEBHOOK_TIMEOUT_MS). admit() waits at most a second, and less when the row's lease could not also
 * cover the request, a row held for a slot (up to 2 s) and its recording: a row waiting longer goes
 * back to the table instead, so no other instance ever claims a row still on its way out.
 */
export function sharedWebhookLimits(
  link: RedisLink | (() => RedisLink | null),
  config: Pick<Config, 'WEBHOOK_CONCURRENCY_PER_WEBHOOK' | 'WEBHOOK_TIMEOUT_MS' | 'WEBHOOK_LEASE_MS'>,
  logger: Logger,
): SharedWebhookLimits {
  const rowLeaseMs = Math.max(config.WEBHOOK_LEASE_MS, config.WEBHOOK_TIMEOUT_MS + 5000);
  return new SharedWebhookLimits(link, {
    perWebhook: config.WEBHOOK_CONCURRENCY_PER_WEBHOOK,
    leaseMs: config.WEBHOOK_TIMEOUT_MS + 5000,
    maxWaitMs: Math.max(0, Math.min(1000, rowLeaseMs - config.WEBHOOK_TIMEOUT_MS - 4000)),
    logger,
  });
}
