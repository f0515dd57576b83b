import { randomUUID } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { insertDeliveries } from '../../../src/webhooks/db/insert-deliveries.js';
import { insertAttempts } from '../../../src/webhooks/db/attempts.js';
import type { Cause } from '../../../src/webhooks/http/classify.js';
import { sqlDate } from '../../../src/webhooks/db/values.js';
import { TEST_API_KEY } from '../../support/server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: any;
  text: string;
}

export interface CallOptions {
  /** Sent as the raw body (with the JSON Content-Type) instead of JSON.stringify(body). */
  raw?: string;
  /** Replaces the default headers (Bearer TEST_API_KEY, JSON Content-Type). */
  headers?: Record<string, string>;
}

/** A REST client for /api/v1 of a running server: real HTTP through fetch. */
export function apiClient(baseUrl: string, key = TEST_API_KEY) {
  const call = async (method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse> => {
    const headers = options.headers ?? { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
  return {
    call,
    get: (path: string, options?: CallOptions) => call('GET', path, undefined, options),
    post: (path: string, body?: unknown, options?: CallOptions) => call('POST', path, body, options),
    put: (path: string, body?: unknown, options?: CallOptions) => call('PUT', path, body, options),
    delete: (path: string, options?: CallOptions) => call('DELETE', path, undefined, options),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

export interface SeedDelivery {
  status: 'pending' | 'delivered' | 'failed';
  createdAt: Date;
  event?: string;
  body?: string;
  deliveryId?: string;
  isTest?: boolean;
  attempts?: number;
}

/**
 * Delivery rows written straight to the table through the engine's own insert, then moved to
 * their status. Pending seeds are due only tomorrow, so no sweep sends them during a test.
 */
export async function seedDeliveries(sequelize: Sequelize, webhookId: number, seeds: readonly SeedDelivery[]): Promise<string[]> {
  const ids = seeds.map((s) => s.deliveryId ?? randomUUID());
  const tomorrow = new Date(Date.now() + 86_400_000);
  await insertDeliveries(
    sequelize,
    seeds.map((s, i) => ({
      deliveryId: ids[i]!,
      webhookId,
      event: s.event ?? 'message.received',
      body: s.body ?? JSON.stringify({ event: s.event ?? 'message.received', delivery_id: ids[i], timestamp: s.createdAt.toISOString(), data: { n: i } }),
      isTest: s.isTest ?? false,
      createdAt: s.createdAt,
      nextAttemptAt: tomorrow,
    })),
  );
  for (const [i, s] of seeds.entries()) {
    await sequelize.query(
      `UPDATE webhook_deliveries SET status = ?, attempt_number = ?, last_status_code = ?, last_error = ?, delivered_at = ? WHERE delivery_id = ?`,
      {
        type: QueryTypes.BULKUPDATE,
        replacements: [
          s.status,
          s.attempts ?? (s.status === 'pending' ? 0 : 1),
          s.status === 'delivered' ? 200 : s.status === 'failed' ? 500 : null,
          s.status === 'failed' ? 'HTTP 500' : null,
          s.status === 'delivered' ? sqlDate(sequelize, s.createdAt) : null,
          ids[i],
        ],
      },
    );
  }
  return ids;
}

/** Row count of a table for one webhook's deliveries (attempts through their delivery). */
export async function countRows(sequelize: Sequelize, sql: string, replacements: unknown[]): Promise<number> {
  const [row] = await sequelize.query<{ n: number | string }>(sql, { replacements, type: QueryTypes.SELECT });
  return Number(row?.n ?? 0);
}

/** A valid create body pointing at `url`. */
export function webhookBody(url: string, overrides: Record<string, unknown> = {}) {
  return { name: 'Ops alerts', url, events: ['conversation.started', 'message.received'], ...overrides };
}

export interface SeedAttempt {
  at: Date;
  cause: Cause;
  ms: number;
  status?: number | null;
  isTest?: boolean;
}

/**
 * Attempts written as the engine writes them (the chart's and the list's source), all on one
 * delivery row seeded for them, created a day and a half before the first attempt.
 */
export async function seedAttempts(sequelize: Sequelize, webhookId: number, attempts: readonly SeedAttempt[]): Promise<string> {
  const first = Math.min(...attempts.map((a) => a.at.getTime()));
  const [deliveryId] = await seedDeliveries(sequelize, webhookId, [{ status: 'delivered', createdAt: new Date(first - 36 * 3_600_000) }]);
  const [row] = await sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE delivery_id = ?', { type: QueryTypes.SELECT, replacements: [deliveryId] });
  await sequelize.transaction((transaction) =>
    insertAttempts(
      sequelize,
      attempts.map((a, i) => ({
        deliveryRowId: Number(row!.id),
        webhookId,
        isTest: a.isTest ?? false,
        attempt: {
          attemptNumber: i + 1, requestHeaders: {}, responseStatus: a.status ?? (a.cause === 'ok' ? 200 : null), responseHeaders: null, responseBody: null,
          durationMs: a.ms, error: a.cause === 'ok' ? null : a.cause, cause: a.cause, createdAt: a.at,
        },
      })),
      transaction,
    ),
  );
  return deliveryId!;
}
