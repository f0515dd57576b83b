import type { Sequelize } from 'sequelize';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Logger } from '../../logger.js';
import type { ClaimedDelivery, DeliveryUpdate } from '../db/delivery-rows.js';
import { completeAttempts, type AttemptCompletion } from '../db/record-attempts.js';
import type { WebhookRecord } from '../db/webhook-store.js';
import type { Cause, Outcome } from '../http/classify.js';
import type { Clock, Sender, SendResult } from '../http/sender.js';
import { openSigningSecrets } from '../http/signing-secrets.js';
import type { OperationalEvents } from '../outbox/operational-events.js';
import { decideDelivery } from './decide.js';
import { GroupCommit } from './group-commit.js';
import type { AttemptMetrics } from './metrics.js';
import type { DbGate } from './runtime.js';

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

/** An attempt written to its delivery row: what it came to, for the webhook's health. */
export interface RecordedAttempt {
  update: DeliveryUpdate;
  outcome: Outcome;
  at: Date;
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

export interface AttemptsOptions {
  sequelize: Sequelize;
  db: DbGate;
  sender: Sender;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  metrics: AttemptMetrics;
  operational: OperationalEvents;
  retryDelays: readonly number[];
}

/**
 * One attempt: sends a claimed row, decides what it comes to (decide.ts) and records both. It
 * answers data; what the engine does next (slots, sweeps, health) is the caller's.
 */
export class Attempts {
  /** Finished attempts are recorded in batches: one transaction for all that finished meanwhile. */
  readonly #records: GroupCommit<AttemptCompletion, DeliveryUpdate | null>;

  constructor(private readonly options: AttemptsOptions) {
    const { sequelize, operational, db } = options;
    this.#records = new GroupCommit((items) => completeAttempts(sequelize, items, operational), (run) => db(run, { first: true }), RECORD_BATCH);
  }

  /**
   * Sends the row and records the attempt; never throws. `answered` runs once the HTTP exchange is
   * over, before the recording. `recorded` is null when nothing was written (lease lost, or the write failed).
   */
  async run(
    row: ClaimedDelivery,
    webhook: WebhookRecord,
    signal: AbortSignal,
    answered: (sent: SendResult) => void,
  ): Promise<{ result: AttemptResult; recorded: RecordedAttempt | null }> {
    const { clock, logger } = this.options;
    const attemptNumber = row.attemptNumber + 1;
    let sent: SendResult;
    try {
      const secrets = openSigningSecrets(webhook, this.options.secretBox);
      sent = await this.options.sender.send(
        { url: webhook.url, body: row.body, event: row.event, deliveryId: row.deliveryId, ...secrets, isTest: row.isTest, format: webhook.format },
        signal,
      );
    } catch {
      const at = clock.now();
      sent = { outcome: undecryptable, startedAt: at, requestHeaders: {}, statusCode: null, responseHeaders: null, responseBody: null, durationMs: 0, error: undecryptable.message };
    }
    const { outcome } = sent;
    answered(sent);
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
      const now = clock.now();
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
          decideDelivery(state, { attemptNumber, outcome, statusCode: sent.statusCode, error: sent.error }, now, this.options.retryDelays),
      });
      if (!update) {
        logger.warn({ deliveryId: row.deliveryId }, 'webhook attempt not recorded: the lease was lost (the row was claimed again or deleted)');
        return { result, recorded: null };
      }
      this.options.metrics.attempt({ webhookId: webhook.id, event: row.event, cause: outcome.cause, durationMs: sent.durationMs });
      logger.debug({ deliveryId: row.deliveryId, webhookId: webhook.id, attemptNumber, cause: outcome.cause, status: update.status }, 'webhook attempt');
      return { result, recorded: { update, outcome, at: now } };
    } catch (err) {
      logger.error({ err, deliveryId: row.deliveryId }, 'recording a webhook attempt failed');
      return { result, recorded: null };
    }
  }
}
