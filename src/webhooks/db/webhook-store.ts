import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { WebhookFormat } from '../events/formats/index.js';
import { clip, parseBool, parseDate, parseIntOr, sqlDate } from './values.js';
import { exclusiveWrite, writeTransaction } from '../../db/write-queue.js';

/** A row of `webhooks`, typed. `secretEncrypted` is SecretBox ciphertext; never send it to a client. */
export interface WebhookRecord {
  id: number;
  name: string;
  url: string;
  events: string[];
  format: WebhookFormat;
  is_active: boolean;
  has_secret: boolean;
  secretEncrypted: string | null;
  /** The secret a rotation replaced (SecretBox ciphertext), signing beside the new one until its expiry. */
  previousSecretEncrypted: string | null;
  previousSecretExpiresAt: Date | null;
  /** Why the server disabled it itself (410, health rule); null when enabled or disabled by an admin. */
  disabled_reason: string | null;
  disabled_at: Date | null;
  consecutive_failures: number;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Any `webhooks` row (raw query result or a model's plain object, either dialect) as a WebhookRecord.
 * @example toWebhookRecord((await sequelize.query('SELECT * FROM webhooks WHERE id = 1', { type: QueryTypes.SELECT }))[0])
 */
export function toWebhookRecord(row: Record<string, unknown>): WebhookRecord {
  const secret = (row.secret_encrypted ?? row.secretEncrypted ?? null) as string | null;
  return {
    id: parseIntOr(row.id, 0),
    name: String(row.name ?? ''),
    url: String(row.url ?? ''),
    events: parseEvents(row.events),
    format: (row.format ?? 'json') as WebhookFormat,
    is_active: parseBool(row.is_active ?? row.isActive),
    has_secret: secret !== null && secret !== '',
    secretEncrypted: secret === '' ? null : secret,
    previousSecretEncrypted: ((row.previous_secret_encrypted ?? row.previousSecretEncrypted ?? null) as string | null) || null,
    previousSecretExpiresAt: parseDate(row.previous_secret_expires_at ?? row.previousSecretExpiresAt),
    disabled_reason: (row.disabled_reason ?? row.disabledReason ?? null) as string | null,
    disabled_at: parseDate(row.disabled_at ?? row.disabledAt),
    consecutive_failures: parseIntOr(row.consecutive_failures ?? row.consecutiveFailures, 0),
    failing_since: parseDate(row.failing_since ?? row.failingSince),
    created_at: parseDate(row.created_at ?? row.createdAt) ?? new Date(0),
    updated_at: parseDate(row.updated_at ?? row.updatedAt) ?? new Date(0),
  };
}

function parseEvents(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** Every enabled webhook (the fan-out filters by event in memory: the table is small). */
/** Inside the caller's transaction when given: the outbox must not wait for a second pool connection. */
export async function listActiveWebhooks(sequelize: Sequelize, transaction?: Transaction): Promise<WebhookRecord[]> {
  const rows = await sequelize.query<Record<string, unknown>>('SELECT * FROM webhooks WHERE is_active = :yes ORDER BY id', {
    type: QueryTypes.SELECT,
    replacements: { yes: true },
    ...(transaction ? { transaction } : {}),
  });
  return rows.map(toWebhookRecord);
}

export async function getWebhook(sequelize: Sequelize, id: number): Promise<WebhookRecord | null> {
  const rows = await sequelize.query<Record<string, unknown>>('SELECT * FROM webhooks WHERE id = :id', {
    type: QueryTypes.SELECT,
    replacements: { id },
  });
  return rows[0] ? toWebhookRecord(rows[0]) : null;
}

/**
 * Disables an enabled webhook and says why (the admin sees the reason). False when it was already
 * off or gone. `disabled` runs in the same transaction when it did disable it (the webhook.disabled event).
 */
export async function disableWebhook(
  sequelize: Sequelize,
  id: number,
  reason: string,
  at: Date,
  disabled?: (transaction: Transaction) => Promise<void>,
): Promise<boolean> {
  return writeTransaction(sequelize, async (transaction) => {
    const changed = await sequelize.query(
      // Bound: the reason may quote the receiver's answer (Slack's error code, say).
      `UPDATE webhooks SET is_active = $1, disabled_reason = $2, disabled_at = $3, updated_at = $3
       WHERE id = $4 AND is_active = $5`,
      { type: QueryTypes.BULKUPDATE, bind: [false, clip(reason, 1024), sqlDate(sequelize, at), id, true], transaction },
    );
    if (Number(changed) === 0) return false;
    await disabled?.(transaction);
    return true;
  });
}

/** A delivered attempt ends the failing streak. Writes only when there is a streak to end. */
export async function recordWebhookSuccess(sequelize: Sequelize, id: number): Promise<void> {
  await exclusiveWrite(sequelize, () =>
    sequelize.query(
      `UPDATE webhooks SET consecutive_failures = 0, failing_since = NULL
       WHERE id = :id AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
      { type: QueryTypes.BULKUPDATE, replacements: { id } },
    ),
  );
}

/**
 * A failed attempt: the streak starts (failing_since) if it had not, and a delivery that failed for
 * good adds one to consecutive_failures. Returns the webhook as it now stands, for the health rule.
 */
export async function recordWebhookFailure(
  sequelize: Sequelize,
  id: number,
  input: { at: Date; deliveryFailed: boolean },
): Promise<WebhookRecord | null> {
  await exclusiveWrite(sequelize, () =>
    sequelize.query(
      `UPDATE webhooks SET consecutive_failures = consecutive_failures + :inc, failing_since = COALESCE(failing_since, :at)
       WHERE id = :id`,
      { type: QueryTypes.BULKUPDATE, replacements: { id, inc: input.deliveryFailed ? 1 : 0, at: sqlDate(sequelize, input.at) } },
    ),
  );
  return getWebhook(sequelize, id);
}

/** The webhooks of a claimed batch, fresh (an admin may have changed a URL or secret since the cache was filled). */
export async function getWebhooksByIds(sequelize: Sequelize, ids: readonly number[]): Promise<Map<number, WebhookRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await sequelize.query<Record<string, unknown>>('SELECT * FROM webhooks WHERE id IN (:ids)', {
    type: QueryTypes.SELECT,
    replacements: { ids: [...new Set(ids)] },
  });
  return new Map(rows.map((row) => toWebhookRecord(row)).map((w) => [w.id, w]));
}
