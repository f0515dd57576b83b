import { createHmac } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Got } from 'got';
import { sampleEnvelope } from './events.js';

/**
 * The straightforward design the engine is measured against: what a queue job per delivery does,
 * one awaited statement at a time, each its own autocommit — insert the delivery row, POST it,
 * record the attempt, mark the row delivered. The same work the engine does per delivery (the
 * SPEC wants the row committed before the POST and every attempt recorded), without batching.
 */
export async function naiveDelivery(sequelize: Sequelize, got: Got, webhook: { id: number; url: string; secret: string }, messageId: number): Promise<void> {
  const { deliveryId, body } = sampleEnvelope(messageId);
  const now = new Date();
  const [rowId] = await sequelize.query(
    `INSERT INTO webhook_deliveries (delivery_id, webhook_id, event, body, is_test, status, attempt_number, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, 'message.received', ?, false, 'pending', 0, ?, ?, ?)`,
    { replacements: [deliveryId, webhook.id, body, now, now, now], type: QueryTypes.INSERT },
  );
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'livechat-webhooks/bench',
    'x-webhook-event': 'message.received',
    'x-webhook-timestamp': new Date().toISOString(),
    'x-webhook-delivery': deliveryId,
    'x-webhook-signature': createHmac('sha256', webhook.secret).update(body).digest('hex'),
  };
  const started = performance.now();
  const res = await got.post(webhook.url, { body, headers });
  const duration = Math.round(performance.now() - started);
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  await sequelize.query(
    `INSERT INTO webhook_delivery_attempts (delivery_row_id, attempt_number, request_headers, response_status, response_headers, response_body, duration_ms, error, cause, created_at)
     VALUES (?, 1, ?, ?, ?, ?, ?, NULL, ?, ?)`,
    {
      replacements: [rowId, JSON.stringify(headers), res.statusCode, JSON.stringify(res.headers), res.body.slice(0, 65536), duration, ok ? 'ok' : 'server_error', new Date()],
      type: QueryTypes.INSERT,
    },
  );
  await sequelize.query(
    `UPDATE webhook_deliveries SET status = ?, attempt_number = 1, last_status_code = ?, delivered_at = ?, updated_at = ? WHERE id = ?`,
    { replacements: [ok ? 'delivered' : 'pending', res.statusCode, ok ? new Date() : null, new Date(), rowId], type: QueryTypes.UPDATE },
  );
  if (!ok) throw new Error(`receiver answered ${res.statusCode}`);
}
