import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { apiClient, seedDeliveries, webhookBody, type ApiClient, type ApiResponse } from './helpers.js';
import { responseChecker } from './openapi-responses.js';

/** Every operation of the document, answered for real at least once below. */
const OPERATIONS = [
  'GET /webhooks/events',
  'GET /webhooks',
  'POST /webhooks',
  'GET /webhooks/{id}',
  'PUT /webhooks/{id}',
  'DELETE /webhooks/{id}',
  'POST /webhooks/{id}/test',
  'POST /webhooks/{id}/regenerate-secret',
  'GET /webhooks/{id}/deliveries',
  'GET /webhooks/{id}/deliveries/{deliveryId}',
  'POST /webhooks/{id}/deliveries/{deliveryId}/redeliver',
  'POST /webhooks/{id}/recover',
  'GET /webhooks/{id}/stats',
  'GET /openapi.json',
];

describe.each(dialects)('real responses match the OpenAPI document on %s', (dialect) => {
  let t: TestServer;
  let api: ApiClient;
  let receiver: Receiver;
  let doc: any;
  let check: ReturnType<typeof responseChecker>;
  const covered = new Set<string>();

  /** Calls the API and expects the answer to be what the document says, status and body. */
  const call = async (method: string, path: string, params: Record<string, string | number>, body?: unknown, query = ''): Promise<ApiResponse> => {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name])) + query;
    const res = await api.call(method, url, body);
    covered.add(`${method} ${path}`);
    expect(check(method, path, res)).toEqual([]);
    return res;
  };

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url);
    receiver = await startReceiver();
    doc = (await api.get('/openapi.json')).body;
    check = responseChecker(doc);
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.stop();
  });

  it('for every operation, with the seed\'s delivery fields', async () => {
    await call('GET', '/openapi.json', {});
    const events = await call('GET', '/webhooks/events', {});
    expect(events.body.data[0]).toMatchObject({ event: expect.any(String), description: expect.any(String) });

    const created = await call('POST', '/webhooks', {}, webhookBody(receiver.url, { secret: 'a-typed-secret' }));
    expect(created.status).toBe(201);
    const id = created.body.data.id as number;
    expect((await call('POST', '/webhooks', {}, webhookBody(receiver.url, { is_active: false }))).status).toBe(201);
    await call('GET', '/webhooks', {});
    await call('GET', '/webhooks/{id}', { id });
    await call('PUT', '/webhooks/{id}', { id }, { name: 'Renamed' });

    // A real attempt with a response body, and a pending row never tried (null response fields).
    receiver.reply({ status: 202, body: 'queued, thanks' });
    const test = await call('POST', '/webhooks/{id}/test', { id });
    expect(test.body.data).toMatchObject({ success: true, status_code: 202 });
    await seedDeliveries(t.server.sequelize, id, [{ status: 'failed', createdAt: new Date(Date.now() - 60_000) }]);

    const list = await call('GET', '/webhooks/{id}/deliveries', { id });
    expect(list.body.data).toHaveLength(2);
    const tested = list.body.data.find((d: { event_type: string }) => d.event_type === 'webhook.test');
    expect(tested).toMatchObject({ id: expect.any(Number), attempt_number: 1, response_status_code: 202, response_body: 'queued, thanks', status: 'delivered' });
    await call('GET', '/webhooks/{id}/deliveries', { id }, undefined, '?status=delivered&per_page=1');

    const byRowId = await call('GET', '/webhooks/{id}/deliveries/{deliveryId}', { id, deliveryId: tested.id });
    expect(byRowId.body.data).toMatchObject({ id: tested.id, delivery_id: tested.delivery_id, response_body: 'queued, thanks' });
    await call('GET', '/webhooks/{id}/deliveries/{deliveryId}', { id, deliveryId: tested.delivery_id });

    receiver.respond(() => ({ status: 200 }));
    await call('POST', '/webhooks/{id}/deliveries/{deliveryId}/redeliver', { id, deliveryId: tested.delivery_id });
    await call('POST', '/webhooks/{id}/recover', { id }, { since: new Date(Date.now() - 3_600_000).toISOString() });
    await call('POST', '/webhooks/{id}/regenerate-secret', { id });
    const stats = await call('GET', '/webhooks/{id}/stats', { id }, undefined, '?hours=2');
    expect(stats.body.data.buckets).toHaveLength(2);
    expect((await call('GET', '/webhooks/{id}/stats', { id }, undefined, '?hours=0')).status).toBe(422);

    // Failures are documented too.
    expect((await call('GET', '/webhooks/{id}', { id: 999999 })).status).toBe(404);
    expect((await call('GET', '/webhooks/{id}/deliveries/{deliveryId}', { id, deliveryId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    expect((await call('POST', '/webhooks', {}, { name: '' })).status).toBe(422);
    expect((await call('GET', '/webhooks/{id}/deliveries', { id }, undefined, '?page=0')).status).toBe(422);
    const noKey = await api.get('/webhooks', { headers: {} });
    expect(noKey.status).toBe(401);
    expect(check('GET', '/webhooks', noKey)).toEqual([]);

    expect((await call('DELETE', '/webhooks/{id}', { id })).status).toBe(204);
    expect([...covered].sort()).toEqual([...OPERATIONS].sort());
  });

  it('would catch a response the document does not describe', async () => {
    const webhook = await api.post('/webhooks', webhookBody(receiver.url, { is_active: false }));
    await seedDeliveries(t.server.sequelize, webhook.body.data.id, [{ status: 'delivered', createdAt: new Date() }]);
    const list = await api.get(`/webhooks/${webhook.body.data.id}/deliveries`);
    expect(check('GET', '/webhooks/{id}/deliveries', list)).toEqual([]);

    const withoutId = { ...list, body: structuredClone(list.body) };
    delete withoutId.body.data[0].id;
    expect(check('GET', '/webhooks/{id}/deliveries', withoutId)).toEqual([expect.stringContaining("must have required property 'id'")]);
    const numberBody = { ...list, body: structuredClone(list.body) };
    numberBody.body.data[0].response_body = 404;
    expect(check('GET', '/webhooks/{id}/deliveries', numberBody).length).toBeGreaterThan(0);
    expect(check('GET', '/webhooks/{id}/deliveries', { ...list, status: 418 })).toEqual([expect.stringContaining('does not document')]);
  });
});
