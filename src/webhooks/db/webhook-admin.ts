import { writeTransaction } from '../../db/write-queue.js';
import { QueryTypes, type Sequelize } from 'sequelize';
import { toWebhookRecord, type WebhookRecord } from './webhook-store.js';
import { parseDate, sqlDate } from './values.js';
import type { DeliveryStatus } from './delivery-logs.js';

/**
 * The admin side of the `webhooks` table: what the REST API creates, reads, changes and deletes.
 * Secrets arrive here already encrypted; this module never sees a plaintext secret.
 */

/**
 * The newest delivery of webhook `w` that is not a Test press: a walk down the (webhook_id, id)
 * index from its end, which stops at the first row that is not a test (tests are rare).
 */
const NEWEST_NOT_TEST = '(SELECT d.id FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.is_test = :no ORDER BY d.id DESC LIMIT 1)';

export interface LastDelivery {
  status: DeliveryStatus;
  at: Date;
}

export interface WebhookEntry extends WebhookRecord {
  lastDelivery: LastDelivery | null;
}

export interface WebhookListEntry extends WebhookEntry {
  deliveryLogsCount: number;
  /** Attempts since the list's `recentSince` (tests left out), and how many a 2xx answered. */
  last24h: { attempts: number; succeeded: number };
}

/** The columns an admin change may set. */
export interface WebhookColumns {
  name: string;
  url: string;
  events: readonly string[];
  secret_encrypted: string | null;
  is_active: boolean;
  format: string;
  disabled_reason: string | null;
  disabled_at: Date | null;
  consecutive_failures: number;
  failing_since: Date | null;
}

export type NewWebhook = Pick<WebhookColumns, 'name' | 'url' | 'events' | 'secret_encrypted' | 'is_active' | 'format'>;

export class WebhookAdmin {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Every webhook, oldest first, with the size of its delivery log, its newest delivery (tests left
   * out) and its attempts since `recentSince` (tests left out), for the list's health column.
   */
  async list(recentSince: Date): Promise<WebhookListEntry[]> {
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT w.*, COALESCE(c.n, 0) AS delivery_logs_count, l.status AS last_delivery_status, l.updated_at AS last_delivery_at
         FROM webhooks w
         LEFT JOIN (SELECT webhook_id, COUNT(*) AS n FROM webhook_deliveries GROUP BY webhook_id) c ON c.webhook_id = w.id
         LEFT JOIN webhook_deliveries l ON l.id = ${NEWEST_NOT_TEST}
        ORDER BY w.id`,
      { replacements: { no: false }, type: QueryTypes.SELECT },
    );
    const recent = await this.recentAttempts(rows.map((row) => Number(row.id)), recentSince);
    return rows.map((row) => ({
      ...toWebhookRecord(row),
      lastDelivery: lastDelivery(row),
      deliveryLogsCount: Number(row.delivery_logs_count),
      last24h: recent.get(Number(row.id)) ?? { attempts: 0, succeeded: 0 },
    }));
  }

  /**
   * Attempts of these webhooks since `since`, tests left out, and how many succeeded: one range of
   * the attempts' (webhook_id, created_at, is_test, duration_ms, cause) index per webhook, read
   * without touching a table row (as the stats route reads it).
   */
  private async recentAttempts(ids: readonly number[], since: Date): Promise<Map<number, { attempts: number; succeeded: number }>> {
    if (ids.length === 0) return new Map();
    const rows = await this.sequelize.query<Record<string, unknown>>(
      `SELECT webhook_id, COUNT(*) AS n, SUM(CASE WHEN cause = 'ok' THEN 1 ELSE 0 END) AS ok
         FROM webhook_delivery_attempts
        WHERE webhook_id IN (:ids) AND created_at >= :since AND is_test = :no
        GROUP BY webhook_id`,
      { replacements: { ids, since: sqlDate(this.sequelize, since), no: false }, type: QueryTypes.SELECT },
    );
    return new Map(rows.map((row) => [Number(row.webhook_id), { attempts: Number(row.n), succeeded: Number(row.ok ?? 0) }]));
  }

  async get(id: number): Promise<WebhookEntry | null> {
    const [row] = await this.sequelize.query<Record<string, unknown>>(
      `SELECT w.*, l.status AS last_delivery_status, l.updated_at AS last_delivery_at
         FROM webhooks w
         LEFT JOIN webhook_deliveries l ON l.id = ${NEWEST_NOT_TEST}
        WHERE w.id = :id`,
      { replacements: { id, no: false }, type: QueryTypes.SELECT },
    );
    return row ? { ...toWebhookRecord(row), lastDelivery: lastDelivery(row) } : null;
  }

  /** Inserts a webhook and returns its id. */
  async create(values: NewWebhook, now = new Date()): Promise<number> {
    const at = sqlDate(this.sequelize, now);
    // Bound, not replaced: `replacements` are escaped into the SQL text, where a U+0000 ends the
    // statement on SQLite; bound values never become SQL.
    const [result] = await this.sequelize.query(
      `INSERT INTO webhooks (name, url, events, secret_encrypted, is_active, format, consecutive_failures, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)`,
      {
        bind: [values.name, values.url, JSON.stringify(values.events), values.secret_encrypted, values.is_active, values.format, at, at],
        type: QueryTypes.INSERT,
      },
    );
    return insertedId(result);
  }

  /**
   * Sets the given columns (and updated_at); false when there is no such webhook. A new secret
   * (or its removal) ends any rotation overlap: the admin chose the one secret that signs.
   */
  async update(id: number, changes: Partial<WebhookColumns>, now = new Date()): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (changes.secret_encrypted !== undefined) sets.push('previous_secret_encrypted = NULL', 'previous_secret_expires_at = NULL');
    for (const [column, value] of Object.entries(changes) as [keyof WebhookColumns, WebhookColumns[keyof WebhookColumns]][]) {
      if (value === undefined) continue;
      sets.push(`${column} = $${params.length + 1}`);
      params.push(
        column === 'events' ? JSON.stringify(value)
        : value instanceof Date ? sqlDate(this.sequelize, value)
        : value,
      );
    }
    sets.push(`updated_at = $${params.length + 1}`);
    params.push(sqlDate(this.sequelize, now), id);
    // Column names come from WebhookColumns, never from input; every value is bound.
    const changed = await this.sequelize.query(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = $${params.length}`, {
      bind: params,
      type: QueryTypes.BULKUPDATE,
    });
    return Number(changed) > 0;
  }

  /**
   * Deletes a webhook and its whole delivery log in one transaction (the foreign keys cascade
   * too, but the log must go even on a database whose cascade was left off).
   */
  async delete(id: number): Promise<boolean> {
    return writeTransaction(this.sequelize, async (transaction) => {
      // Lock the webhook's delivery rows before touching their attempts: the engine locks a
      // delivery and then inserts its attempt, and the opposite order deadlocks against it.
      if (this.sequelize.getDialect() !== 'sqlite') {
        await this.sequelize.query('SELECT id FROM webhook_deliveries WHERE webhook_id = ? FOR UPDATE', {
          replacements: [id], type: QueryTypes.SELECT, transaction,
        });
      }
      await this.sequelize.query(
        'DELETE FROM webhook_delivery_attempts WHERE delivery_row_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)',
        { replacements: [id], type: QueryTypes.DELETE, transaction },
      );
      await this.sequelize.query('DELETE FROM webhook_deliveries WHERE webhook_id = ?', { replacements: [id], type: QueryTypes.DELETE, transaction });
      const deleted = await this.sequelize.query('DELETE FROM webhooks WHERE id = ?', {
        replacements: [id],
        type: QueryTypes.BULKDELETE,
        transaction,
      });
      return Number(deleted) > 0;
    });
  }

  /** Replaces the (encrypted) secret, ending any rotation overlap; false when there is no such webhook. */
  async setSecret(id: number, secretEncrypted: string, now = new Date()): Promise<boolean> {
    return this.update(id, { secret_encrypted: secretEncrypted }, now);
  }

  /**
   * Replaces the secret and keeps the one it replaces signing until `oldValidUntil` (null: the old
   * one stops at once). One statement, so a concurrent change cannot slip between reading the old
   * secret and writing the new. The old ciphertext moves as it is: no plaintext passes through here.
   * A secret replaced earlier in a running overlap stops now: at most two secrets sign.
   */
  async rotateSecret(id: number, secretEncrypted: string, oldValidUntil: Date | null, now = new Date()): Promise<boolean> {
    const until = oldValidUntil ? sqlDate(this.sequelize, oldValidUntil) : null;
    // The previous_* columns are set before secret_encrypted: MySQL assigns left to right and
    // would otherwise copy the new secret; SQLite reads the old row for every assignment.
    const changed = await this.sequelize.query(
      `UPDATE webhooks
          SET previous_secret_encrypted = CASE WHEN ? IS NULL THEN NULL ELSE secret_encrypted END,
              previous_secret_expires_at = CASE WHEN ? IS NULL OR secret_encrypted IS NULL THEN NULL ELSE ? END,
              secret_encrypted = ?,
              updated_at = ?
        WHERE id = ?`,
      {
        replacements: [until, until, until, secretEncrypted, sqlDate(this.sequelize, now), id],
        type: QueryTypes.BULKUPDATE,
      },
    );
    return Number(changed) > 0;
  }
}

function lastDelivery(row: Record<string, unknown>): LastDelivery | null {
  const at = parseDate(row.last_delivery_at);
  return row.last_delivery_status == null || !at ? null : { status: String(row.last_delivery_status) as DeliveryStatus, at };
}

/** A raw INSERT answers [insertId, affectedRows] on both dialects. */
function insertedId(result: unknown): number {
  const id = Number(result);
  if (!(id > 0)) throw new Error('INSERT INTO webhooks returned no id');
  return id;
}

