import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { operationalEvents, type EventPayload, type OperationalEventName } from '../../events.js';
import { insertDeliveries } from '../db/insert-deliveries.js';
import { toWebhookRecord, type WebhookRecord } from '../db/webhook-store.js';
import { planDeliveries } from '../events/plan.js';

/** A delivery that used up its attempts, as `delivery.failed` tells it. */
export interface FailedDelivery {
  webhookId: number;
  deliveryId: string;
  event: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  at: Date;
}

/** An operational event and the webhook it is about, which never receives it (no loops). */
interface AboutWebhook {
  about: number;
  at: Date;
  payload: (subject: WebhookRecord | undefined) => EventPayload<OperationalEventName>;
}

export interface OperationalEventsOptions {
  sequelize: Sequelize;
  publicUrl?: string;
  /** Told once a transaction that wrote operational deliveries has committed (they are due now). */
  committed: () => void;
}

/**
 * Writes `webhook.disabled` and `delivery.failed` (SPEC §10) as delivery rows inside the transaction
 * that disables the webhook or records the failure: the event exists exactly when what it reports
 * does. Each goes to every enabled webhook subscribed to it except the one it is about.
 */
export class OperationalEvents {
  constructor(private readonly options: OperationalEventsOptions) {}

  /** `webhook.disabled` for a webhook the server just disabled, in the transaction that disabled it. */
  webhookDisabled(input: { webhookId: number; reason: string; at: Date }, transaction: Transaction): Promise<void> {
    return this.#write(
      [{
        about: input.webhookId,
        at: input.at,
        payload: (subject) => ({
          event: 'webhook.disabled',
          occurredAt: input.at,
          data: { webhook_id: input.webhookId, webhook_name: subject?.name ?? '', reason: input.reason, disabled_at: input.at.toISOString() },
        }),
      }],
      transaction,
    );
  }

  /**
   * `delivery.failed` for deliveries that used up their attempts, in the transaction that records
   * it. A failed delivery of an operational event raises none: two failing webhooks subscribed to
   * each other's failures would otherwise tell each other so forever.
   */
  deliveriesFailed(failed: readonly FailedDelivery[], transaction: Transaction): Promise<void> {
    const reported = failed.filter((f) => !isOperational(f.event));
    return this.#write(
      reported.map((f) => ({
        about: f.webhookId,
        at: f.at,
        payload: (subject) => ({
          event: 'delivery.failed',
          occurredAt: f.at,
          data: {
            webhook_id: f.webhookId,
            webhook_name: subject?.name ?? '',
            delivery_id: f.deliveryId,
            event: f.event,
            attempts: f.attempts,
            last_status_code: f.lastStatusCode,
            last_error: f.lastError,
            failed_at: f.at.toISOString(),
          },
        }),
      })),
      transaction,
    );
  }

  async #write(events: readonly AboutWebhook[], transaction: Transaction): Promise<void> {
    if (events.length === 0) return;
    const { sequelize, publicUrl } = this.options;
    // Every webhook, disabled ones too: the subject's name is read here, in the same transaction.
    const all = (await sequelize.query<Record<string, unknown>>('SELECT * FROM webhooks ORDER BY id', { type: QueryTypes.SELECT, transaction })).map(toWebhookRecord);
    const byId = new Map(all.map((w) => [w.id, w]));
    const rows = events.flatMap(({ about, at, payload }) => {
      const targets = all.filter((w) => w.id !== about);
      return planDeliveries(payload(byId.get(about)), targets, { now: at, ...(publicUrl ? { publicUrl } : {}) }).rows;
    });
    if (rows.length === 0) return;
    await insertDeliveries(sequelize, rows, transaction);
    transaction.afterCommit(() => this.options.committed());
  }
}

const operational = new Set<string>(operationalEvents);

function isOperational(event: string): boolean {
  return operational.has(event);
}
