import { dialects } from '../../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';
import { apiClient, webhookBody } from './helpers.js';

const UNAUTHORIZED = { success: false, data: null, message: 'Unauthorized: a valid API key is required' };

/**
 * TRUST_PROXY=true lets each test speak from its own client address (X-Forwarded-For), so the
 * failed-authentication limit of one test does not spill into the next.
 */
describe.each(dialects)('webhooks API authentication on %s', (dialect) => {
  let t: TestServer;
  let ipSeq = 0;
  const nextIp = () => `198.51.100.${++ipSeq}`;

  beforeAll(async () => {
    t = await startTestServer(dialect, { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Every operation of the API, from its own OpenAPI document, with concrete paths. */
  const operations = async (): Promise<{ method: string; path: string }[]> => {
    const doc = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths)
      .filter(([path]) => path !== '/openapi.json')
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => ({
          method: method.toUpperCase(),
          path: path.replace('{id}', '1').replace('{deliveryId}', '00000000-0000-4000-8000-000000000000'),
        })),
      );
  };

  it('answers 401 with one body, whatever was wrong, on every route', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(12);
    const wrongs: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-key-0123456789abcdef' },
      { authorization: 'Bearer ' },
      { authorization: `Basic ${Buffer.from(`admin:${TEST_API_KEY}`).toString('base64')}` },
      { authorization: TEST_API_KEY },
      { authorization: `Bearer ${TEST_API_KEY}x` },
      { authorization: `Bearer ${'k'.repeat(5000)}` },
    ];
    for (const op of ops) {
      for (const headers of wrongs) {
        const res = await fetch(`${t.url}/api/v1${op.path}`, {
          method: op.method,
          headers: { ...headers, 'x-forwarded-for': nextIp(), 'content-type': 'application/json' },
          ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: '{not json' }),
        });
        expect({ ...op, headers, status: res.status }).toEqual({ ...op, headers, status: 401 });
        expect(await res.json()).toEqual(UNAUTHORIZED);
      }
    }
  });

  it('accepts the key on every route (no 401)', async () => {
    const api = apiClient(t.url);
    await api.post('/webhooks', webhookBody('http://127.0.0.1:9/hook', { is_active: false }));
    for (const op of await operations()) {
      const res = await api.call(op.method, op.path, op.path.endsWith('/recover') ? { since: '2024-01-01T00:00:00Z' } : undefined);
      expect({ ...op, status: res.status }).not.toEqual({ ...op, status: 401 });
      expect(res.status).toBeLessThan(500);
    }
  });

  it('serves the OpenAPI document without a key', async () => {
    const res = await fetch(`${t.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
  });

  it('answers 429 after 20 failed authentications from one address, yet still lets the right key in from it', async () => {
    const ip = nextIp();
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, 'x-forwarded-for': ip });
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${t.url}/api/v1/webhooks`, { headers: headers('wrong-key-0123456789abcdef') })).status).toBe(401);
    }
    const limited = await fetch(`${t.url}/api/v1/webhooks`, { headers: headers('wrong-key-0123456789abcdef') });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toEqual({ success: false, data: null, message: expect.stringMatching(/too many/i) });
    // The guesser never named a real key, so the address is locked for blind guesses only.
    expect((await fetch(`${t.url}/api/v1/webhooks`, { headers: headers(TEST_API_KEY) })).status).toBe(200);

    // Another address is not affected.
    const other = await fetch(`${t.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'x-forwarded-for': nextIp() } });
    expect(other.status).toBe(200);
  });

  it('does not count successful requests', async () => {
    const ip = nextIp();
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${t.url}/api/v1/webhooks/events`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'x-forwarded-for': ip } });
      expect(res.status).toBe(200);
    }
    const wrong = await fetch(`${t.url}/api/v1/webhooks`, { headers: { authorization: 'Bearer nope-0123456789abcdef', 'x-forwarded-for': ip } });
    expect(wrong.status).toBe(401);
  });

  it('leaves other /api/v1 paths to the rest of the server', async () => {
    const res = await fetch(`${t.url}/api/v1/something-else`, { headers: { 'x-forwarded-for': nextIp() } });
    expect(res.status).toBe(404);
    const unknown = await apiClient(t.url).get('/webhooks/1/unknown-action');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ success: false, data: null, message: expect.any(String) });
  });
});
