import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Cause } from '../classify.js';
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
export async function insertAttempt(sequelize: Sequelize, deliveryRowId: number, attempt: AttemptRecord, transaction: Transaction): Promise<void> {
  await sequelize.query(
    `INSERT INTO webhook_delivery_attempts
       (delivery_row_id, attempt_number, request_headers, response_status, response_headers, response_body, duration_ms, error, cause, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    {
      type: QueryTypes.INSERT,
      transaction,
      replacements: [
        deliveryRowId,
        attempt.attemptNumber,
        JSON.stringify(attempt.requestHeaders),
        attempt.responseStatus,
        attempt.responseHeaders === null ? null : JSON.stringify(attempt.responseHeaders),
        attempt.responseBody,
        Math.max(0, Math.round(attempt.durationMs)),
        clip(attempt.error, 1024),
        attempt.cause,
        sqlDate(sequelize, attempt.createdAt),
      ],
    },
  );
}
