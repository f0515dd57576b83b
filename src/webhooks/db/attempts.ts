import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Cause } from '../http/classify.js';
import { clip, sqlDate } from './values.js';

/** One attempt as the delivery log keeps it (SPEC §7: number, request headers, status, capped body, duration, error). */
export interface AttemptRecord {
  attemptNumber: number;
  requestHeaders: Record<string, string>;
  responseStatus: number | null;
  responseHeaders: Record<string, unknown> | null;
  /** Already capped at 64 KiB by the sender. */
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  cause: Cause;
  createdAt: Date;
}

/** Appends an attempt to a delivery's log; called inside the transaction that updates the delivery. */
export async function insertAttempt(
  sequelize: Sequelize,
  deliveryRowId: number,
  attempt: AttemptRecord,
  transaction: Transaction,
  delivery: { webhookId: number | null; isTest: boolean } = { webhookId: null, isTest: false },
): Promise<void> {
  await insertAttempts(sequelize, [{ deliveryRowId, ...delivery, attempt }], transaction);
}

/** An attempt with the delivery it belongs to; the webhook and test flag feed the chart's index (null: left out of it). */
export interface AttemptRow {
  deliveryRowId: number;
  webhookId: number | null;
  isTest: boolean;
  attempt: AttemptRecord;
}

/** Statements stay well under MariaDB's max_allowed_packet (16 MiB) even with 64 KiB bodies. */
const MAX_STATEMENT_CHARS = 2 * 1024 * 1024;

/** Appends many attempts in as few multi-row inserts as fit, inside the caller's transaction. */
export async function insertAttempts(
  sequelize: Sequelize,
  rows: readonly AttemptRow[],
  transaction: Transaction,
): Promise<void> {
  let values: unknown[] = [];
  let count = 0;
  let chars = 0;
  const flush = async () => {
    if (count === 0) return;
    // Bound: the response body and headers are the receiver's bytes, U+0000 included, and a
    // U+0000 in SQL text ends the statement on SQLite.
    const rowsSql = Array.from({ length: count }, (_, r) => `(${Array.from({ length: 12 }, (_c, c) => `$${r * 12 + c + 1}`).join(', ')})`);
    await sequelize.query(
      `INSERT INTO webhook_delivery_attempts
         (delivery_row_id, attempt_number, request_headers, response_status, response_headers, response_body, duration_ms, error, cause, created_at, webhook_id, is_test)
       VALUES ${rowsSql.join(', ')}`,
      { type: QueryTypes.INSERT, transaction, bind: values },
    );
    values = [];
    count = 0;
    chars = 0;
  };
  for (const { deliveryRowId, webhookId, isTest, attempt } of rows) {
    const requestHeaders = JSON.stringify(attempt.requestHeaders);
    const responseHeaders = attempt.responseHeaders === null ? null : JSON.stringify(attempt.responseHeaders);
    const size = requestHeaders.length + (responseHeaders?.length ?? 0) + (attempt.responseBody?.length ?? 0) + 1200;
    if (count > 0 && chars + size > MAX_STATEMENT_CHARS) await flush();
    values.push(
      deliveryRowId,
      attempt.attemptNumber,
      requestHeaders,
      attempt.responseStatus,
      responseHeaders,
      attempt.responseBody,
      Math.max(0, Math.round(attempt.durationMs)),
      clip(attempt.error, 1024),
      attempt.cause,
      sqlDate(sequelize, attempt.createdAt),
      webhookId,
      isTest ? 1 : 0,
    );
    count++;
    chars += size;
  }
  await flush();
}
