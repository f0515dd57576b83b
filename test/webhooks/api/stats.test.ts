import { QueryTypes } from 'sequelize';
import { dialects } from '../../support/databases.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { insertAttempts } from '../../../src/webhooks/db/attempts.js';
import type { Cause } from '../../../src/webhooks/http/classify.js';
import { apiClient, seedDeliveries, webhookBody, type ApiClient } from './helpers.js';

const HOUR = 3_600_000;

describe.each(dialects)('GET /webhooks/{id}/stats on %s', (dialect) => {
  let t: TestServer;
  let api: ApiClient;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Attempts written as the engine writes them, at `hoursAgo` hours before the start of the current hour plus `minute` minutes. */
  async function seedAttempts(webhookId: number, attempts: { hoursAgo: number; minute: number; cause: Cause; ms: number; isTest?: boolean }[]): Promise<void> {
    const currentHour = Math.floor(Date.now() / HOUR) * HOUR;
    const [deliveryId] = await seedDeliveries(t.server.sequelize, webhookId, [{ status: 'delivered', createdAt: new Date(currentHour - 30 * HOUR) }]);
    const [row] = await t.server.sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE delivery_id = ?', { type: QueryTypes.SELECT, replacements: [deliveryId] });
    await t.server.sequelize.transaction((transaction) =>
      insertAttempts(
        t.server.sequelize,
        attempts.map((a, i) => ({
          deliveryRowId: Number(row!.id),
          webhookId,
          isTest: a.isTest ?? false,
          attempt: {
            attemptNumber: i + 1, requestHeaders: {}, responseStatus: null, responseHeaders: null, responseBody: null,
            durationMs: a.ms, error: null, cause: a.cause, createdAt: new Date(currentHour - a.hoursAgo * HOUR + a.minute * 60_000),
          },
        })),
        transaction,
      ),
    );
  }

  it('counts each hour\'s attempts by outcome and cause, with p50/p95, tests and other webhooks left out', async () => {
    const id = (await api.post('/webhooks', webhookBody('http://127.0.0.1:9/hook'))).body.data.id as number;
    const other = (await api.post('/webhooks', webhookBody('http://127.0.0.1:9/other'))).body.data.id as number;
    await seedAttempts(id, [
      // Two hours ago: all fine, 20 fast answers.
      ...Array.from({ length: 20 }, (_, i) => ({ hoursAgo: 2, minute: i, cause: 'ok' as const, ms: 40 })),
      // An hour ago it turned red: 500s and timeouts, one success.
      { hoursAgo: 1, minute: 0, cause: 'ok', ms: 40 },
      { hoursAgo: 1, minute: 1, cause: 'server_error', ms: 120 },
      { hoursAgo: 1, minute: 2, cause: 'server_error', ms: 130 },
      { hoursAgo: 1, minute: 3, cause: 'gone', ms: 20 },
      { hoursAgo: 1, minute: 59, cause: 'timeout', ms: 10_000 },
      // A Test press: not a delivery, not in the chart.
      { hoursAgo: 1, minute: 30, cause: 'server_error', ms: 50, isTest: true },
      // Before the window.
      { hoursAgo: 3, minute: 0, cause: 'ok', ms: 40 },
    ]);
    await seedAttempts(other, [{ hoursAgo: 1, minute: 5, cause: 'ok', ms: 40 }]);

    const res = await api.get(`/webhooks/${id}/stats?hours=3`);
    expect(res.status).toBe(200);
    const { data } = res.body;
    const currentHour = Math.floor(Date.now() / HOUR) * HOUR;
    expect(data.from).toBe(new Date(currentHour - 2 * HOUR).toISOString());
    expect(data.buckets.map((b: { start: string }) => b.start)).toEqual([2, 1, 0].map((h) => new Date(currentHour - h * HOUR).toISOString()));
    const [green, red, now] = data.buckets;
    expect(green).toMatchObject({ attempts: 20, succeeded: 20, http_error: 0, no_response: 0, causes: { ok: 20 } });
    // 40 ms lies in the (25, 50] bucket: the estimate interpolates within it.
    expect(green.p50_ms).toBe(38);
    expect(green.p95_ms).toBe(49);
    expect(red).toMatchObject({ attempts: 5, succeeded: 1, http_error: 3, no_response: 1, causes: { ok: 1, server_error: 2, gone: 1, timeout: 1 } });
    // Sorted: 20, 40, 120, 130, 10000 → the median is in (100, 150]; the 95th in (7500, 10000].
    expect(red.p50_ms).toBeGreaterThan(100);
    expect(red.p50_ms).toBeLessThanOrEqual(150);
    expect(red.p95_ms).toBeGreaterThan(7500);
    expect(red.p95_ms).toBeLessThanOrEqual(10_000);
    expect(now).toMatchObject({ attempts: 0, causes: {}, p50_ms: null, p95_ms: null });
    expect(data.totals).toEqual({ attempts: 25, succeeded: 21, http_error: 3, no_response: 1, success_rate: 21 / 25 });
  });

  it('answers 404 for an unknown webhook and 422 for a bad window', async () => {
    expect((await api.get('/webhooks/999999/stats')).status).toBe(404);
    const id = (await api.post('/webhooks', webhookBody('http://127.0.0.1:9/hook'))).body.data.id as number;
    const bad = await api.get(`/webhooks/${id}/stats?hours=169`);
    expect(bad.status).toBe(422);
    expect(bad.body.errors.hours).toEqual(['must be a whole number of hours from 1 to 168']);
    expect((await api.get(`/webhooks/${id}/stats`)).body.data.buckets).toHaveLength(24);
  });
});
