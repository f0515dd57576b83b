import { dialects } from '../../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';
import { apiClient, webhookBody, type ApiClient } from './helpers.js';

/**
 * Every validation rule of SPEC §8 through real HTTP: 422 `{ success: false, message, errors }`
 * naming the field, 400 for malformed JSON, 413 for oversized bodies, and never a 500.
 */
describe.each(dialects)('webhooks API validation on %s', (dialect) => {
  let t: TestServer;
  let api: ApiClient;
  // A URL the server accepts: 127.0.0.1 is allow-listed and http is allowed by startTestServer.
  const okUrl = 'http://127.0.0.1:9/hook';

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url);
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Creates with `overrides` and expects 422 with errors on exactly these fields. */
  const expectInvalid = async (overrides: Record<string, unknown>, fields: string[]) => {
    const res = await api.post('/webhooks', webhookBody(okUrl, overrides));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({ success: false, message: expect.any(String), errors: expect.any(Object) });
    expect(Object.keys(res.body.errors).sort()).toEqual([...fields].sort());
    for (const field of fields) {
      expect(res.body.errors[field]).toEqual(expect.arrayContaining([expect.any(String)]));
      expect(res.body.errors[field].length).toBeGreaterThan(0);
    }
    return res.body.errors as Record<string, string[]>;
  };

  describe('name', () => {
    it('is required, non-empty, a string, at most 255 characters', async () => {
      expect((await expectInvalid({ name: undefined }, ['name'])).name).toEqual(['is required']);
      await expectInvalid({ name: '' }, ['name']);
      await expectInvalid({ name: '   ' }, ['name']);
      await expectInvalid({ name: 42 }, ['name']);
      await expectInvalid({ name: 'x'.repeat(256) }, ['name']);
    });

    it('accepts 1 and 255 characters (multi-byte too)', async () => {
      expect((await api.post('/webhooks', webhookBody(okUrl, { name: 'a' }))).status).toBe(201);
      const long = '€'.repeat(255);
      const res = await api.post('/webhooks', webhookBody(okUrl, { name: long }));
      expect(res.status).toBe(201);
      expect((await api.get(`/webhooks/${res.body.data.id}`)).body.data.name).toBe(long);
    });
  });

  describe('url', () => {
    it('is required and a string', async () => {
      await expectInvalid({ url: undefined }, ['url']);
      await expectInvalid({ url: '' }, ['url']);
      await expectInvalid({ url: ['http://127.0.0.1/'] }, ['url']);
    });

    it('must be absolute http(s)', async () => {
      await expectInvalid({ url: '/relative/path' }, ['url']);
      await expectInvalid({ url: 'not a url' }, ['url']);
      await expectInvalid({ url: 'ftp://127.0.0.1/hook' }, ['url']);
      await expectInvalid({ url: 'javascript:alert(1)' }, ['url']);
    });

    it('is at most 2048 characters', async () => {
      const base = 'http://127.0.0.1/';
      await expectInvalid({ url: base + 'a'.repeat(2049 - base.length) }, ['url']);
      expect((await api.post('/webhooks', webhookBody(base + 'a'.repeat(2048 - base.length)))).status).toBe(201);
    });

    it('carries no credentials', async () => {
      const errors = await expectInvalid({ url: 'http://user:pass@127.0.0.1/hook' }, ['url']);
      expect(errors.url!.join(' ')).toMatch(/username|password|credential/i);
      await expectInvalid({ url: 'http://user@127.0.0.1/hook' }, ['url']);
    });

    it.each([
      ['private 10/8', 'http://10.0.0.1/hook'],
      ['private 192.168/16', 'https://192.168.1.10/hook'],
      ['private 172.16/12', 'https://172.16.5.4/hook'],
      ['loopback not allow-listed', 'http://127.0.0.2/hook'],
      ['IPv6 loopback', 'http://[::1]/hook'],
      ['link-local / metadata', 'http://169.254.169.254/latest/meta-data'],
      ['metadata hostname', 'http://metadata.google.internal/computeMetadata/v1/'],
      ['unspecified', 'http://0.0.0.0/hook'],
    ])('refuses a %s host unless allow-listed', async (_what, url) => {
      const errors = await expectInvalid({ url }, ['url']);
      expect(errors.url!.join(' ')).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
    });

    it('accepts allow-listed hosts (127.0.0.1 and localhost in these tests)', async () => {
      expect((await api.post('/webhooks', webhookBody('http://127.0.0.1:8080/hook'))).status).toBe(201);
      expect((await api.post('/webhooks', webhookBody('http://localhost:8080/hook'))).status).toBe(201);
    });
  });

  describe('events', () => {
    it('is a non-empty array of catalog events', async () => {
      await expectInvalid({ events: undefined }, ['events']);
      await expectInvalid({ events: [] }, ['events']);
      await expectInvalid({ events: 'message.received' }, ['events']);
      const errors = await expectInvalid({ events: ['message.received', 'message.deleted'] }, ['events']);
      expect(errors.events!.join(' ')).toContain('message.deleted');
      await expectInvalid({ events: [42] }, ['events']);
    });

    it('refuses hostile values without echoing them: deeply nested, huge', async () => {
      const nested = '['.repeat(20_000) + '"message.received"' + ']'.repeat(20_000);
      const deep = await api.post('/webhooks', undefined, { raw: JSON.stringify(webhookBody(okUrl, { events: [] })).replace('"events":[]', `"events":[${nested}]`) });
      expect(deep.status).toBe(422);
      expect(deep.body.errors.events).toEqual([expect.stringContaining('an array')]);
      const errors = await expectInvalid({ events: ['x'.repeat(50_000)] }, ['events']);
      expect(errors.events![0]!.length).toBeLessThan(300);
    });

    it('accepts any subset of the catalog and drops duplicates', async () => {
      const catalog = (await api.get('/webhooks/events')).body.data.map((e: { event: string }) => e.event);
      const all = await api.post('/webhooks', webhookBody(okUrl, { events: catalog }));
      expect(all.status).toBe(201);
      expect(all.body.data.events).toEqual(catalog);
      const dup = await api.post('/webhooks', webhookBody(okUrl, { events: ['message.sent', 'message.sent'] }));
      expect(dup.body.data.events).toEqual(['message.sent']);
    });
  });

  describe('format, secret, is_active', () => {
    it('format is json, slack or discord', async () => {
      await expectInvalid({ format: 'xml' }, ['format']);
      await expectInvalid({ format: 1 }, ['format']);
      for (const format of ['json', 'slack', 'discord']) {
        expect((await api.post('/webhooks', webhookBody(okUrl, { format }))).body.data.format).toBe(format);
      }
    });

    it('secret is 8 to 255 characters when given', async () => {
      await expectInvalid({ secret: 'short' }, ['secret']);
      await expectInvalid({ secret: 'x'.repeat(256) }, ['secret']);
      await expectInvalid({ secret: 12345678 }, ['secret']);
      expect((await api.post('/webhooks', webhookBody(okUrl, { secret: '12345678' }))).status).toBe(201);
      expect((await api.post('/webhooks', webhookBody(okUrl, { secret: 'x'.repeat(255) }))).status).toBe(201);
    });

    it('is_active is a boolean', async () => {
      await expectInvalid({ is_active: 'yes' }, ['is_active']);
      await expectInvalid({ is_active: 1 }, ['is_active']);
    });
  });

  describe('the body', () => {
    it('reports every bad field at once', async () => {
      await expectInvalid({ name: '', url: 'ftp://u:p@10.0.0.1/', events: [], format: 'xml', secret: 'x', is_active: 'no' }, [
        'name',
        'url',
        'events',
        'format',
        'secret',
        'is_active',
      ]);
    });

    it('ignores unknown fields', async () => {
      const res = await api.post('/webhooks', webhookBody(okUrl, { id: 9999, has_secret: true, created_at: 'x', colour: 'red', secret_encrypted: 'x' }));
      expect(res.status).toBe(201);
      expect(res.body.data.id).not.toBe(9999);
      expect(res.body.data).toMatchObject({ has_secret: false });
      expect(res.body.data).not.toHaveProperty('colour');
    });

    it('answers malformed JSON with 400 and a clear message', async () => {
      for (const raw of ['{"name": "x",', '{name: x}', 'nul', '"just a string"']) {
        const res = await api.post('/webhooks', undefined, { raw });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ success: false, data: null, message: 'Malformed JSON body' });
      }
    });

    it('refuses a JSON body that is not an object', async () => {
      for (const raw of ['[]', '[1,2]']) {
        const res = await api.post('/webhooks', undefined, { raw });
        expect(res.status).toBe(422);
        expect(res.body.errors).toEqual({ body: ['must be a JSON object'] });
      }
    });

    it('caps the body at 100 KiB (413)', async () => {
      const res = await api.post('/webhooks', webhookBody(okUrl, { name: 'x'.repeat(120 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ success: false, data: null, message: expect.stringMatching(/too large/i) });
    });

    it('treats a missing or non-JSON body as empty: every required field is reported', async () => {
      const none = await api.post('/webhooks', undefined);
      expect(none.status).toBe(422);
      expect(Object.keys(none.body.errors).sort()).toEqual(['events', 'name', 'url']);
      const form = await api.post('/webhooks', undefined, {
        raw: 'name=x',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(422);
    });
  });

  describe('update', () => {
    it('validates the fields given with the same rules', async () => {
      const id = (await api.post('/webhooks', webhookBody(okUrl))).body.data.id;
      for (const [body, field] of [
        [{ name: '' }, 'name'],
        [{ url: 'http://10.1.2.3/' }, 'url'],
        [{ url: 'https://a:b@127.0.0.1/' }, 'url'],
        [{ events: [] }, 'events'],
        [{ events: ['nope'] }, 'events'],
        [{ format: 'yaml' }, 'format'],
        [{ secret: 'short' }, 'secret'],
        [{ is_active: 'true' }, 'is_active'],
      ] as [Record<string, unknown>, string][]) {
        const res = await api.put(`/webhooks/${id}`, body);
        expect({ body, status: res.status, fields: Object.keys(res.body.errors ?? {}) }).toEqual({ body, status: 422, fields: [field] });
      }
      expect((await api.put(`/webhooks/${id}`, undefined, { raw: '{oops' })).status).toBe(400);
      expect((await api.get(`/webhooks/${id}`)).body.data).toMatchObject({ url: okUrl, events: ['conversation.started', 'message.received'] });
    });
  });

  describe('delivery list query and recover body', () => {
    let id: number;
    beforeAll(async () => {
      id = (await api.post('/webhooks', webhookBody(okUrl))).body.data.id;
    });

    it.each([
      ['page=0', 'page'],
      ['page=-1', 'page'],
      ['page=abc', 'page'],
      ['page=1.5', 'page'],
      ['page=1&page=2', 'page'],
      ['per_page=0', 'per_page'],
      ['per_page=ten', 'per_page'],
      ['status=lost', 'status'],
    ])('refuses ?%s', async (query, field) => {
      const res = await api.get(`/webhooks/${id}/deliveries?${query}`);
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual([field]);
    });

    it.each([
      [{}, 'since'],
      [{ since: 'yesterday' }, 'since'],
      [{ since: '2024-05-01' }, 'since'],
      [{ since: '2024-05-01T00:00:00' }, 'since'],
      [{ since: 12 }, 'since'],
      [{ since: '2024-05-01T00:00:00Z', until: 'soon' }, 'until'],
      [{ since: '2024-05-02T00:00:00Z', until: '2024-05-01T00:00:00Z' }, 'since'],
    ])('refuses recover %j', async (body, field) => {
      const res = await api.post(`/webhooks/${id}/recover`, body);
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual([field]);
    });
  });
});

describe('webhooks API without WEBHOOK_ALLOW_HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { WEBHOOK_ALLOW_HTTP: 'false' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('refuses http:// URLs and accepts https://', async () => {
    const api = apiClient(t.url);
    const res = await api.post('/webhooks', webhookBody('http://127.0.0.1/hook'));
    expect(res.status).toBe(422);
    expect(res.body.errors.url.join(' ')).toMatch(/https/);
    expect((await api.post('/webhooks', webhookBody('https://127.0.0.1/hook'))).status).toBe(201);
  });
});
