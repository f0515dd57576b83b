import type { Sequelize, Transaction } from 'sequelize';
import type { DeliveryUpdate } from '../db/delivery-rows.js';
import { disableWebhook, recordWebhookFailure, recordWebhookSuccess, type WebhookRecord } from '../db/webhook-store.js';
import type { Outcome } from '../http/classify.js';
import type { OperationalEvents } from '../outbox/operational-events.js';
import { healthVerdict, type HealthRules } from './health.js';
import type { DbGate } from './runtime.js';

/**
 * A webhook's health after each recorded attempt: failures counted, and the webhook disabled by
 * the health rule (or at once for a permanent failure), with its webhook.disabled event.
 */
export class WebhookHealth {
  /** Webhooks whose last attempt here succeeded: their next success writes nothing. */
  readonly #healthy = new Set<number>();

  constructor(
    private readonly options: { sequelize: Sequelize; db: DbGate; operational: OperationalEvents; rules: HealthRules },
  ) {}

  /** Books the attempt's outcome; answers why the webhook was disabled by it, or null. */
  async after(webhook: WebhookRecord, outcome: Outcome, update: DeliveryUpdate, now: Date): Promise<string | null> {
    const { sequelize, db, operational, rules } = this.options;
    if (outcome.ok) {
      // Only the first success after a failure writes; a healthy webhook costs no extra query.
      if (!this.#healthy.has(webhook.id)) {
        await db(() => recordWebhookSuccess(sequelize, webhook.id));
        this.#healthy.add(webhook.id);
      }
      return null;
    }
    this.#healthy.delete(webhook.id);
    const current = await db(() => recordWebhookFailure(sequelize, webhook.id, { at: now, deliveryFailed: update.status === 'failed' }));
    const reason = outcome.disableReason ?? (current ? healthVerdict(current, now, rules) : null);
    if (!reason) return null;
    const disabled = (t: Transaction) => operational.webhookDisabled({ webhookId: webhook.id, reason, at: now }, t);
    return (await db(() => disableWebhook(sequelize, webhook.id, reason, now, disabled))) ? reason : null;
  }
}
