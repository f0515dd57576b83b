import { createHmac } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { SecretBox, loadAppKey } from '../../../src/crypto/secret-box.js';
import { eventCatalog } from '../../../src/events.js';
import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { apiClient, countRows, seedAttempts, seedDeliveries, webhookBody, type ApiClient } from './helpers.js';

const WEBHOOK_KEYS = ['id', 'name', 'url', 'events', 'is_active', 'format', 'has_secret', 'disabled_reason', 'disabled_at', 'consecutive_failures', 'failing_since', 'last_delivery', 'created_at', 'updated_at'];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(dialects)('webhooks CRUD on %s', (dialect) => {
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

  const storedSecret = async (id: number) => {
    const [row] = await t.server.sequelize.query<{ secret_encrypted: string | null }>('SELECT secret_encrypted FROM webhooks WHERE id = ?', {
      replacements: [id],
      type: QueryTypes.SELECT,
    });
    return row?.secret_encrypted ?? null;
  };
  const appSecretBox = () => new SecretBox(loadAppKey(undefined, t.config.DATA_DIR));

  it('creates a webhook (201) and shows the secret given, once', async () => {
    const res = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'my-signing-secret' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
    expect(Object.keys(res.body.data).sort()).toEqual([...WEBHOOK_KEYS, 'secret'].sort());
    expect(res.body.data).toMatchObject({
      id: expect.any(Number),
      name: 'Ops alerts',
      url: receiver.url,
      events: ['conversation.started', 'message.received'],
      is_active: true,
      format: 'json',
      has_secret: true,
      secret: 'my-signing-secret',
      disabled_reason: null,
      disabled_at: null,
      consecutive_failures: 0,
      failing_since: null,
      last_delivery: null,
    });
    expect(res.body.data.created_at).toMatch(ISO);
    expect(res.body.data.updated_at).toMatch(ISO);

    const read = await api.get(`/webhooks/${res.body.data.id}`);
    expect(read.status).toBe(200);
    expect(read.body.data).not.toHaveProperty('secret');
    expect(read.text).not.toContain('my-signing-secret');
  });

  it('creates without a secret: none returned, has_secret false; inactive when asked', async () => {
    const res = await api.post('/webhooks', webhookBody(receiver.url, { is_active: false }));
    expect(res.status).toBe(201);
    expect(res.body.data).not.toHaveProperty('secret');
    expect(res.body.data).toMatchObject({ has_secret: false, is_active: false });
    expect(await storedSecret(res.body.data.id)).toBeNull();
  });

  it('stores the secret encrypted under the app key, never in clear', async () => {
    const res = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'plaintext-secret-123' }));
    const sealed = await storedSecret(res.body.data.id);
    expect(sealed).not.toBeNull();
    expect(sealed).not.toContain('plaintext-secret-123');
    expect(sealed).toMatch(/^v1\./);
    expect(appSecretBox().decrypt(sealed!)).toBe('plaintext-secret-123');
  });

  it('lists every webhook with delivery_logs_count and no secrets', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url, { name: 'counted', secret: 'list-secret-xyz', is_active: false }));
    const id: number = created.body.data.id;
    await seedDeliveries(t.server.sequelize, id, [
      { status: 'delivered', createdAt: new Date(Date.now() - 3000) },
      { status: 'failed', createdAt: new Date(Date.now() - 2000) },
      { status: 'delivered', createdAt: new Date(Date.now() - 1000) },
    ]);

    const res = await api.get('/webhooks');
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body).not.toHaveProperty('meta');
    expect(res.text).not.toContain('list-secret-xyz');
    expect(res.text).not.toContain('secret_encrypted');
    const ids = res.body.data.map((w: { id: number }) => w.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const entry = res.body.data.find((w: { id: number }) => w.id === id);
    expect(Object.keys(entry).sort()).toEqual([...WEBHOOK_KEYS, 'delivery_logs_count', 'last_24h'].sort());
    expect(entry.delivery_logs_count).toBe(3);
    expect(entry.last_delivery).toEqual({ status: 'delivered', at: expect.stringMatching(ISO) });
    expect((await api.get(`/webhooks/${id}`)).body.data.last_delivery).toEqual(entry.last_delivery);
    await seedDeliveries(t.server.sequelize, id, [{ status: 'pending', createdAt: new Date() }]);
    expect((await api.get(`/webhooks/${id}`)).body.data.last_delivery).toMatchObject({ status: 'pending' });
    // A Test press is in the log (and its count) but is not the webhook's last delivery.
    await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: new Date(), event: 'webhook.test', isTest: true }]);
    expect((await api.get(`/webhooks/${id}`)).body.data.last_delivery).toMatchObject({ status: 'pending' });
    const again = (await api.get('/webhooks')).body.data.find((w: { id: number }) => w.id === id);
    expect(again).toMatchObject({ delivery_logs_count: 5, last_delivery: { status: 'pending' }, last_24h: { attempts: 0, succeeded: 0 } });
    for (const w of res.body.data) if (w.id !== id) expect(w.delivery_logs_count).toBe(0);
  });

  it('lists each webhook\'s health: its failing streak and its attempts of the last 24 hours, tests left out', async () => {
    const id: number = (await api.post('/webhooks', webhookBody(receiver.url, { name: 'health', is_active: false }))).body.data.id;
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    await seedAttempts(t.server.sequelize, id, [
      { at: new Date(hour - 30 * 3_600_000), cause: 'ok', ms: 30 }, // before the window
      { at: new Date(hour - 2 * 3_600_000), cause: 'ok', ms: 30 },
      { at: new Date(hour - 2 * 3_600_000 + 60_000), cause: 'ok', ms: 30 },
      { at: new Date(hour - 3_600_000), cause: 'server_error', ms: 80, status: 500 },
      { at: new Date(hour - 3_600_000 + 60_000), cause: 'timeout', ms: 10_000 },
      { at: new Date(hour - 3_600_000 + 120_000), cause: 'ok', ms: 30, isTest: true },
    ]);
    const since = new Date(hour - 3_600_000);
    await t.server.sequelize.query('UPDATE webhooks SET consecutive_failures = 37, failing_since = ? WHERE id = ?', {
      replacements: [since, id],
      type: QueryTypes.BULKUPDATE,
    });
    const entry = (await api.get('/webhooks')).body.data.find((w: { id: number }) => w.id === id);
    expect(entry).toMatchObject({ consecutive_failures: 37, failing_since: since.toISOString(), last_24h: { attempts: 4, succeeded: 2 } });
    expect((await api.get(`/webhooks/${id}`)).body.data).toMatchObject({ consecutive_failures: 37, failing_since: since.toISOString() });
    const stats = (await api.get(`/webhooks/${id}/stats`)).body.data.totals;
    expect(stats).toMatchObject({ attempts: 4, succeeded: 2 });
  });

  it('updates only the fields given (PUT is partial) and never shows the secret', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'keep-me-secret' }));
    const id = created.body.data.id;
    const res = await api.put(`/webhooks/${id}`, { name: 'Renamed', events: ['message.sent'] });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id, name: 'Renamed', events: ['message.sent'], url: receiver.url, has_secret: true, is_active: true });
    expect(res.body.data).not.toHaveProperty('secret');
    expect(Date.parse(res.body.data.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.data.updated_at));
    expect(appSecretBox().decrypt((await storedSecret(id))!)).toBe('keep-me-secret');

    const same = await api.put(`/webhooks/${id}`, {});
    expect(same.status).toBe(200);
    expect(same.body.data).toMatchObject({ name: 'Renamed', events: ['message.sent'] });
  });

  it('replaces the secret on update and removes it with null', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'first-secret' }));
    const id = created.body.data.id;
    const replaced = await api.put(`/webhooks/${id}`, { secret: 'second-secret' });
    expect(replaced.status).toBe(200);
    expect(replaced.text).not.toContain('second-secret');
    expect(appSecretBox().decrypt((await storedSecret(id))!)).toBe('second-secret');

    const removed = await api.put(`/webhooks/${id}`, { secret: null });
    expect(removed.body.data.has_secret).toBe(false);
    expect(await storedSecret(id)).toBeNull();
  });

  it('regenerates the secret: whsec_ + 64 hex, returned once, encrypted at rest, used to sign', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'old-secret-value' }));
    const id = created.body.data.id;
    const res = await api.post(`/webhooks/${id}/regenerate-secret`);
    expect(res.status).toBe(200);
    const secret: string = res.body.data.secret;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(res.body.data).toMatchObject({ id, has_secret: true });
    const again = await api.post(`/webhooks/${id}/regenerate-secret`);
    expect(again.body.data.secret).not.toBe(secret);

    const sealed = (await storedSecret(id))!;
    expect(sealed).not.toContain(again.body.data.secret);
    expect(appSecretBox().decrypt(sealed)).toBe(again.body.data.secret);
    expect((await api.get(`/webhooks/${id}`)).text).not.toContain(again.body.data.secret);

    // The new secret is the one the next request is signed with.
    receiver.clear();
    const test = await api.post(`/webhooks/${id}/test`);
    expect(test.body.data.success).toBe(true);
    const [request] = receiver.requests;
    const expected = createHmac('sha256', again.body.data.secret).update(request!.body).digest('hex');
    expect(request!.headers['x-webhook-signature']).toBe(expected);
  });

  it('deletes a webhook (204) with its delivery logs and attempts', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url));
    const id: number = created.body.data.id;
    await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: new Date() }]);
    await api.post(`/webhooks/${id}/test`); // a delivery with an attempt row
    const rowIds = (
      await t.server.sequelize.query<{ id: number }>('SELECT id FROM webhook_deliveries WHERE webhook_id = ?', { replacements: [id], type: QueryTypes.SELECT })
    ).map((r) => Number(r.id));
    expect(rowIds).toHaveLength(2);
    const attemptsOf = () => countRows(t.server.sequelize, 'SELECT COUNT(*) AS n FROM webhook_delivery_attempts WHERE delivery_row_id IN (?)', [rowIds]);
    expect(await attemptsOf()).toBe(1);

    const res = await api.delete(`/webhooks/${id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await countRows(t.server.sequelize, 'SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ?', [id])).toBe(0);
    expect(await attemptsOf()).toBe(0);
    expect((await api.get(`/webhooks/${id}`)).status).toBe(404);
    expect((await api.delete(`/webhooks/${id}`)).status).toBe(404);
  });

  it('answers 404 with the error envelope for unknown and malformed ids on every webhook route', async () => {
    for (const id of ['999999', 'abc', '0', '-1', '1.5', '99999999999']) {
      for (const [method, path, body] of [
        ['GET', `/webhooks/${id}`],
        ['PUT', `/webhooks/${id}`, { name: 'x' }],
        ['DELETE', `/webhooks/${id}`],
        ['POST', `/webhooks/${id}/test`],
        ['POST', `/webhooks/${id}/regenerate-secret`],
        ['GET', `/webhooks/${id}/deliveries`],
        ['GET', `/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000`],
        ['POST', `/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`],
        ['POST', `/webhooks/${id}/recover`, { since: '2024-01-01T00:00:00Z' }],
      ] as [string, string, unknown?][]) {
        const res = await api.call(method, path, body);
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
        expect(res.body).toEqual({ success: false, data: null, message: 'Webhook not found' });
      }
    }
  });

  it('answers 404 for an unknown id even when the body is invalid too', async () => {
    expect((await api.put('/webhooks/999999', { name: '' })).status).toBe(404);
    expect((await api.post('/webhooks/999999/recover', {})).status).toBe(404);
  });

  it('serves the event catalog at /webhooks/events (not taken for an id), in the seed\'s { event, description } shape', async () => {
    const res = await api.get('/webhooks/events');
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { event: string }) => e.event)).toEqual(Object.keys(eventCatalog));
    for (const entry of res.body.data) {
      expect(entry).toEqual({
        event: entry.event,
        description: eventCatalog[entry.event as keyof typeof eventCatalog].description,
        name: entry.event,
        subscribable: entry.event !== 'webhook.test',
        data_schema: expect.objectContaining({ type: 'object' }),
      });
      expect(entry.description).toMatch(/\S/);
    }
    expect(res.body.data.find((e: { event: string }) => e.event === 'message.received').data_schema.required).toContain('content');
  });

  it('sends a test now and answers with the attempt: success', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url));
    receiver.clear();
    receiver.reply({ status: 204 });
    const res = await api.post(`/webhooks/${created.body.data.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      delivery_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      attempt_number: 1,
      success: true,
      status_code: 204,
      duration_ms: expect.any(Number),
      error: null,
      cause: 'ok',
    });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers['x-webhook-test']).toBe('true');
    expect(receiver.requests[0]!.headers['x-webhook-delivery']).toBe(res.body.data.delivery_id);
    expect(receiver.requests[0]!.json()).toMatchObject({ event: 'webhook.test', data: { webhook_id: created.body.data.id } });
  });

  it('sends a test now and answers with the attempt: failure is still 200, with the status and error', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url));
    receiver.reply({ status: 500, body: 'boom' });
    const res = await api.post(`/webhooks/${created.body.data.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ success: false, status_code: 500, error: expect.any(String), cause: 'server_error' });
    expect(res.body.message).toMatch(/fail/i);
    const logs = await api.get(`/webhooks/${created.body.data.id}/deliveries`);
    expect(logs.body.data[0]).toMatchObject({ delivery_id: res.body.data.delivery_id, event: 'webhook.test', is_test: true, status: 'failed' });
  });

  it('re-enabling a webhook the server disabled clears the reason and sends its held deliveries', async () => {
    const created = await api.post('/webhooks', webhookBody(receiver.url));
    const id: number = created.body.data.id;
    await t.server.sequelize.query(
      'UPDATE webhooks SET is_active = ?, disabled_reason = ?, disabled_at = ?, consecutive_failures = 7 WHERE id = ?',
      { replacements: [false, 'HTTP 410 Gone', new Date(), id], type: QueryTypes.BULKUPDATE },
    );
    const [held] = await seedDeliveries(t.server.sequelize, id, [{ status: 'pending', createdAt: new Date() }]);
    await t.server.sequelize.query('UPDATE webhook_deliveries SET next_attempt_at = created_at WHERE delivery_id = ?', {
      replacements: [held],
      type: QueryTypes.BULKUPDATE,
    });
    const before = await api.get(`/webhooks/${id}`);
    expect(before.body.data).toMatchObject({ is_active: false, disabled_reason: 'HTTP 410 Gone', disabled_at: expect.stringMatching(ISO) });

    receiver.clear();
    receiver.respond(() => ({ status: 200 }));
    const res = await api.put(`/webhooks/${id}`, { is_active: true });
    expect(res.body.data).toMatchObject({ is_active: true, disabled_reason: null, disabled_at: null });
    const [request] = await receiver.waitFor(1, 5000);
    expect(request!.headers['x-webhook-delivery']).toBe(held);
    const [row] = await t.server.sequelize.query<{ consecutive_failures: number }>('SELECT consecutive_failures FROM webhooks WHERE id = ?', {
      replacements: [id],
      type: QueryTypes.SELECT,
    });
    expect(Number(row!.consecutive_failures)).toBe(0);
  });
});
