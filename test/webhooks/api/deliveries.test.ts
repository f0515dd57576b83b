import { QueryTypes } from 'sequelize';
import { insertAttempt } from '../../../src/webhooks/db/attempts.js';
import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { apiClient, seedDeliveries, webhookBody, type ApiClient } from './helpers.js';

/** The seed's fields (SPEC §8), which its clients read, then ours. */
const SEED_KEYS = ['id', 'delivery_id', 'event_type', 'attempt_number', 'response_status_code', 'response_body', 'status', 'delivered_at', 'created_at'];
const DELIVERY_KEYS = [...SEED_KEYS, 'event', 'is_test', 'next_attempt_at', 'last_status_code', 'last_error', 'updated_at'];
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe.each(dialects)('delivery logs API on %s', (dialect) => {
  let t: TestServer;
  let api: ApiClient;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.stop();
  });

  const createWebhook = async (overrides: Record<string, unknown> = {}): Promise<number> => {
    const res = await api.post('/webhooks', webhookBody(receiver.url, overrides));
    expect(res.status).toBe(201);
    return res.body.data.id;
  };

  describe('listing', () => {
    let id: number;
    let ids: string[];
    beforeAll(async () => {
      // Inactive, so the engine leaves these rows alone.
      id = await createWebhook({ is_active: false });
      ids = await seedDeliveries(
        t.server.sequelize,
        id,
        Array.from({ length: 30 }, (_, i) => ({
          status: i % 3 === 0 ? ('failed' as const) : i % 3 === 1 ? ('delivered' as const) : ('pending' as const),
          createdAt: minutesAgo(30 - i),
        })),
      );
    });

    it('is empty with meta for a webhook with no deliveries', async () => {
      const empty = await createWebhook();
      const res = await api.get(`/webhooks/${empty}/deliveries`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, data: [], message: expect.any(String), meta: { current_page: 1, last_page: 1, per_page: 25, total: 0 } });
    });

    it('gives the first 25, newest first, by default', async () => {
      const res = await api.get(`/webhooks/${id}/deliveries`);
      expect(res.status).toBe(200);
      expect(res.body.meta).toEqual({ current_page: 1, last_page: 2, per_page: 25, total: 30 });
      expect(res.body.data.map((d: { delivery_id: string }) => d.delivery_id)).toEqual([...ids].reverse().slice(0, 25));
      expect(Object.keys(res.body.data[0]).sort()).toEqual([...DELIVERY_KEYS].sort());
      expect(res.body.data[0]).not.toHaveProperty('body');
    });

    it('gives the rest on the last page and nothing past it', async () => {
      const last = await api.get(`/webhooks/${id}/deliveries?page=2`);
      expect(last.body.meta).toEqual({ current_page: 2, last_page: 2, per_page: 25, total: 30 });
      expect(last.body.data.map((d: { delivery_id: string }) => d.delivery_id)).toEqual([...ids].reverse().slice(25));

      const past = await api.get(`/webhooks/${id}/deliveries?page=3`);
      expect(past.status).toBe(200);
      expect(past.body.data).toEqual([]);
      expect(past.body.meta).toEqual({ current_page: 3, last_page: 2, per_page: 25, total: 30 });
    });

    it('pages by per_page', async () => {
      const res = await api.get(`/webhooks/${id}/deliveries?page=3&per_page=7`);
      expect(res.body.meta).toEqual({ current_page: 3, last_page: 5, per_page: 7, total: 30 });
      expect(res.body.data.map((d: { delivery_id: string }) => d.delivery_id)).toEqual([...ids].reverse().slice(14, 21));
      const exact = await api.get(`/webhooks/${id}/deliveries?per_page=30`);
      expect(exact.body.meta.last_page).toBe(1);
      expect(exact.body.data).toHaveLength(30);
    });

    it('treats per_page over 100 as 100', async () => {
      const res = await api.get(`/webhooks/${id}/deliveries?per_page=1000`);
      expect(res.status).toBe(200);
      expect(res.body.meta).toEqual({ current_page: 1, last_page: 1, per_page: 100, total: 30 });
      expect(res.body.data).toHaveLength(30);
    });

    it('caps a page at 100 rows', async () => {
      const big = await createWebhook({ is_active: false });
      await seedDeliveries(t.server.sequelize, big, Array.from({ length: 101 }, () => ({ status: 'delivered' as const, createdAt: new Date() })));
      const res = await api.get(`/webhooks/${big}/deliveries?per_page=101`);
      expect(res.body.data).toHaveLength(100);
      expect(res.body.meta).toEqual({ current_page: 1, last_page: 2, per_page: 100, total: 101 });
    });

    it('filters by status', async () => {
      for (const status of ['failed', 'delivered', 'pending']) {
        const res = await api.get(`/webhooks/${id}/deliveries?status=${status}&per_page=100`);
        expect(res.body.meta.total).toBe(10);
        expect(res.body.data.every((d: { status: string }) => d.status === status)).toBe(true);
      }
      const page = await api.get(`/webhooks/${id}/deliveries?status=failed&per_page=4&page=3`);
      expect(page.body.meta).toEqual({ current_page: 3, last_page: 3, per_page: 4, total: 10 });
      expect(page.body.data).toHaveLength(2);
    });

    it('filters by event, alone or with a status, and refuses an unknown event', async () => {
      const mixed = await createWebhook({ is_active: false });
      await seedDeliveries(t.server.sequelize, mixed, [
        { status: 'failed', createdAt: minutesAgo(4), event: 'message.sent' },
        { status: 'delivered', createdAt: minutesAgo(3), event: 'message.sent' },
        { status: 'failed', createdAt: minutesAgo(2), event: 'message.received' },
        { status: 'delivered', createdAt: minutesAgo(1), event: 'webhook.test', isTest: true },
      ]);
      const sent = await api.get(`/webhooks/${mixed}/deliveries?event=message.sent`);
      expect(sent.body.meta.total).toBe(2);
      expect(sent.body.data.map((d: { event: string }) => d.event)).toEqual(['message.sent', 'message.sent']);
      const both = await api.get(`/webhooks/${mixed}/deliveries?event=message.sent&status=failed`);
      expect(both.body.data.map((d: { event: string; status: string }) => [d.event, d.status])).toEqual([['message.sent', 'failed']]);
      expect((await api.get(`/webhooks/${mixed}/deliveries?event=webhook.test`)).body.data).toEqual([expect.objectContaining({ is_test: true })]);
      const bad = await api.get(`/webhooks/${mixed}/deliveries?event=no.such`);
      expect(bad.status).toBe(422);
      expect(bad.body.errors.event[0]).toMatch(/^must be one of /);
    });

    it('shows next_attempt_at only while pending', async () => {
      const res = await api.get(`/webhooks/${id}/deliveries?per_page=100`);
      for (const d of res.body.data) {
        if (d.status === 'pending') expect(d.next_attempt_at).toEqual(expect.any(String));
        else expect(d.next_attempt_at).toBeNull();
      }
    });

    it('lists only this webhook\'s deliveries', async () => {
      const other = await createWebhook({ is_active: false });
      await seedDeliveries(t.server.sequelize, other, [{ status: 'failed', createdAt: new Date() }]);
      expect((await api.get(`/webhooks/${other}/deliveries`)).body.meta.total).toBe(1);
      expect((await api.get(`/webhooks/${id}/deliveries`)).body.meta.total).toBe(30);
    });
  });

  describe('one delivery', () => {
    let id: number;
    let deliveryId: string;
    let rowId: number;
    const body = '{"event":"message.received","delivery_id":"x","data":{"content":"héllo"}}';

    beforeAll(async () => {
      id = await createWebhook({ is_active: false });
      [deliveryId] = (await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: minutesAgo(5), body, attempts: 2 }])) as [string];
      const [row] = await t.server.sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE delivery_id = ?', {
        replacements: [deliveryId],
        type: QueryTypes.SELECT,
      });
      rowId = Number(row!.id);
      await t.server.sequelize.transaction(async (transaction) => {
        for (const n of [2, 1]) {
          await insertAttempt(
            t.server.sequelize,
            rowId,
            {
              attemptNumber: n,
              requestHeaders: { 'content-type': 'application/json', 'x-webhook-delivery': deliveryId },
              responseStatus: n === 1 ? 503 : null,
              responseHeaders: null,
              responseBody: n === 1 ? 'try later' : null,
              durationMs: 10 * n,
              error: n === 1 ? 'HTTP 503' : 'timeout after 10000 ms',
              cause: n === 1 ? 'server_error' : 'timeout',
              createdAt: minutesAgo(5 - n),
            },
            transaction,
          );
        }
      });
    });

    it('has its body and every attempt, oldest first', async () => {
      const res = await api.get(`/webhooks/${id}/deliveries/${deliveryId}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ delivery_id: deliveryId, status: 'failed', attempt_number: 2, body });
      expect(res.body.data.attempts).toEqual([
        {
          attempt_number: 1,
          request_headers: { 'content-type': 'application/json', 'x-webhook-delivery': deliveryId },
          response_status: 503,
          response_body: 'try later',
          duration_ms: 10,
          error: 'HTTP 503',
          cause: 'server_error',
          created_at: expect.any(String),
        },
        expect.objectContaining({ attempt_number: 2, response_status: null, response_body: null, cause: 'timeout', error: 'timeout after 10000 ms' }),
      ]);
    });

    it('is found by its row id too, and by an upper-case UUID', async () => {
      expect((await api.get(`/webhooks/${id}/deliveries/${rowId}`)).body.data.delivery_id).toBe(deliveryId);
      expect((await api.get(`/webhooks/${id}/deliveries/${deliveryId.toUpperCase()}`)).body.data.delivery_id).toBe(deliveryId);
    });

    it('is 404 when unknown, malformed, or another webhook\'s', async () => {
      const other = await createWebhook({ is_active: false });
      for (const path of [
        `/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000`,
        `/webhooks/${id}/deliveries/not-a-delivery`,
        `/webhooks/${id}/deliveries/999999999`,
        `/webhooks/${other}/deliveries/${deliveryId}`,
        `/webhooks/${other}/deliveries/${rowId}`,
      ]) {
        const res = await api.get(path);
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
        expect(res.body).toEqual({ success: false, data: null, message: 'Delivery not found' });
        expect((await api.post(`${path}/redeliver`)).status).toBe(404);
      }
    });
  });

  describe('the seed\'s fields', () => {
    it('are on list entries and on the detail, with the newest attempt\'s response', async () => {
      const id = await createWebhook({ secret: 'seed-fields-secret' });
      const [deliveryId] = (await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: minutesAgo(10), event: 'message.sent', attempts: 1 }])) as [string];
      const [row] = await t.server.sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE delivery_id = ?', {
        replacements: [deliveryId],
        type: QueryTypes.SELECT,
      });
      const rowId = Number(row!.id);
      await t.server.sequelize.transaction((transaction) =>
        insertAttempt(
          t.server.sequelize,
          rowId,
          { attemptNumber: 1, requestHeaders: {}, responseStatus: 503, responseHeaders: null, responseBody: 'try later', durationMs: 5, error: 'HTTP 503', cause: 'server_error', createdAt: minutesAgo(9) },
          transaction,
        ),
      );
      const entry = async () => (await api.get(`/webhooks/${id}/deliveries`)).body.data[0];
      expect(await entry()).toMatchObject({ id: rowId, delivery_id: deliveryId, event_type: 'message.sent', event: 'message.sent', attempt_number: 1, response_body: 'try later' });

      // The receiver answers the redelivery: the entry now shows that second attempt's response.
      receiver.clear();
      receiver.reply({ status: 201, body: '{"received":true}' });
      expect((await api.post(`/webhooks/${id}/deliveries/${rowId}/redeliver`)).status).toBe(200);
      await receiver.waitFor(1, 10_000);
      await waitFor(async () => (await entry()).status === 'delivered', 10_000);
      const listed = await entry();
      expect(listed).toEqual({
        id: rowId,
        delivery_id: deliveryId,
        event_type: 'message.sent',
        attempt_number: 2,
        response_status_code: 201,
        response_body: '{"received":true}',
        status: 'delivered',
        delivered_at: expect.stringMatching(/Z$/),
        created_at: expect.stringMatching(/Z$/),
        event: 'message.sent',
        is_test: false,
        next_attempt_at: null,
        last_status_code: 201,
        last_error: null,
        updated_at: expect.stringMatching(/Z$/),
      });
      // The detail, by the entry's id as a seed client passes it, carries the same fields.
      const detail = (await api.get(`/webhooks/${id}/deliveries/${listed.id}`)).body.data;
      expect(detail).toMatchObject(listed);
      expect(detail.attempts.map((a: { response_body: string }) => a.response_body)).toEqual(['try later', '{"received":true}']);
    });

    it('are null before the first attempt', async () => {
      const id = await createWebhook({ is_active: false });
      await seedDeliveries(t.server.sequelize, id, [{ status: 'pending', createdAt: new Date() }]);
      const [entry] = (await api.get(`/webhooks/${id}/deliveries`)).body.data;
      expect(entry).toMatchObject({ attempt_number: 0, response_status_code: null, response_body: null, delivered_at: null, status: 'pending' });
    });

    it('show at most the 64 KiB of a response body that were stored', async () => {
      const id = await createWebhook();
      receiver.reply({ status: 200, bodyBytes: 200_000 });
      expect((await api.post(`/webhooks/${id}/test`)).body.data.success).toBe(true);
      const [entry] = (await api.get(`/webhooks/${id}/deliveries`)).body.data;
      expect(entry.response_body).toBe('x'.repeat(64 * 1024));
      expect((await api.get(`/webhooks/${id}/deliveries/${entry.id}`)).body.data.response_body).toBe(entry.response_body);
    });
  });

  describe('redeliver', () => {
    it('queues the delivery again with the same delivery_id and body bytes, and it goes out now', async () => {
      const id = await createWebhook({ secret: 'redeliver-secret' });
      const body = '{"event":"message.received","delivery_id":"same","data":{"n":1}}';
      const [deliveryId] = (await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: minutesAgo(60), body, attempts: 4 }])) as [string];
      receiver.clear();
      receiver.respond(() => ({ status: 200 }));

      const res = await api.post(`/webhooks/${id}/deliveries/${deliveryId}/redeliver`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ delivery_id: deliveryId, status: 'pending' });

      const [request] = await receiver.waitFor(1, 5000);
      expect(request!.headers['x-webhook-delivery']).toBe(deliveryId);
      expect(request!.text()).toBe(body);
      await waitFor(async () => (await api.get(`/webhooks/${id}/deliveries/${deliveryId}`)).body.data.status === 'delivered');
      const detail = (await api.get(`/webhooks/${id}/deliveries/${deliveryId}`)).body.data;
      expect(detail).toMatchObject({ delivery_id: deliveryId, status: 'delivered', attempt_number: 5, last_status_code: 200 });
      expect(detail.attempts.at(-1)).toMatchObject({ attempt_number: 5, response_status: 200, cause: 'ok' });
      // Still one row: the same delivery, not a copy.
      expect((await api.get(`/webhooks/${id}/deliveries`)).body.meta.total).toBe(1);
    });

    it('accepts the row id', async () => {
      const id = await createWebhook({ is_active: false });
      const [deliveryId] = (await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: new Date() }])) as [string];
      const [row] = await t.server.sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE delivery_id = ?', {
        replacements: [deliveryId],
        type: QueryTypes.SELECT,
      });
      const res = await api.post(`/webhooks/${id}/deliveries/${row!.id}/redeliver`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ delivery_id: deliveryId, status: 'pending' });
    });
  });

  describe('recover', () => {
    it('queues again the failed deliveries created in the window and answers how many', async () => {
      const id = await createWebhook({ is_active: false });
      const other = await createWebhook({ is_active: false });
      const seeds = await seedDeliveries(t.server.sequelize, id, [
        { status: 'failed', createdAt: minutesAgo(300) }, // 0: before the window
        { status: 'failed', createdAt: minutesAgo(180) }, // 1: in
        { status: 'failed', createdAt: minutesAgo(120) }, // 2: in
        { status: 'delivered', createdAt: minutesAgo(150) }, // 3: in the window, not failed
        { status: 'pending', createdAt: minutesAgo(150) }, // 4: in the window, not failed
        { status: 'failed', createdAt: minutesAgo(30) }, // 5: after the window
      ]);
      await seedDeliveries(t.server.sequelize, other, [{ status: 'failed', createdAt: minutesAgo(150) }]);
      const statusOf = async (deliveryId: string) => (await api.get(`/webhooks/${id}/deliveries/${deliveryId}`)).body.data.status;

      const res = await api.post(`/webhooks/${id}/recover`, { since: minutesAgo(200).toISOString(), until: minutesAgo(60).toISOString() });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, data: { count: 2 }, message: expect.stringContaining('2') });
      expect(await Promise.all(seeds.map(statusOf))).toEqual(['failed', 'pending', 'pending', 'delivered', 'pending', 'failed']);
      expect((await api.get(`/webhooks/${other}/deliveries?status=failed`)).body.meta.total).toBe(1);

      // No failed rows left in that window: nothing to do.
      expect((await api.post(`/webhooks/${id}/recover`, { since: minutesAgo(200).toISOString(), until: minutesAgo(60).toISOString() })).body.data.count).toBe(0);
      // Without `until` the window runs to now; offsets are honoured.
      const since = new Date(Date.now() - 301 * 60_000);
      const withOffset = since.toISOString().replace('Z', '+00:00');
      expect((await api.post(`/webhooks/${id}/recover`, { since: withOffset })).body.data.count).toBe(2);
      expect(await Promise.all(seeds.map(statusOf))).toEqual(['pending', 'pending', 'pending', 'delivered', 'pending', 'pending']);
    });

    it('sends the recovered deliveries when the webhook is enabled', async () => {
      const id = await createWebhook();
      const [deliveryId] = (await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: minutesAgo(10) }])) as [string];
      receiver.clear();
      receiver.respond(() => ({ status: 200 }));
      const res = await api.post(`/webhooks/${id}/recover`, { since: minutesAgo(20).toISOString() });
      expect(res.body.data.count).toBe(1);
      const [request] = await receiver.waitFor(1, 5000);
      expect(request!.headers['x-webhook-delivery']).toBe(deliveryId);
    });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
