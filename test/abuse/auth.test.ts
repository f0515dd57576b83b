import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { SessionTokens } from '../../src/auth/session.js';
import { loadAppKey } from '../../src/crypto/secret-box.js';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { fingerprint } from './fuzz/snapshot.js';

/** Every route of SPEC §8 that must refuse a caller without a valid key or session. */
const apiRoutes: [string, string][] = [
  ['GET', '/webhooks'],
  ['POST', '/webhooks'],
  ['GET', '/webhooks/events'],
  ['GET', '/webhooks/1'],
  ['PUT', '/webhooks/1'],
  ['DELETE', '/webhooks/1'],
  ['POST', '/webhooks/1/test'],
  ['GET', '/webhooks/1/deliveries'],
  ['GET', '/webhooks/1/deliveries/00000000-0000-4000-8000-000000000000'],
  ['POST', '/webhooks/1/deliveries/00000000-0000-4000-8000-000000000000/redeliver'],
  ['POST', '/webhooks/1/regenerate-secret'],
  ['POST', '/webhooks/1/recover'],
];

const adminPages = ['/admin/conversations', '/admin/webhooks', '/admin/webhooks/new', '/admin/webhooks/1/edit', '/admin/webhooks/1/deliveries', '/admin/webhooks/1/deliveries/abc'];

let ipCounter = 0;
/** A fresh client address per request (TRUST_PROXY is on), so the failed-auth limit never hides a 401. */
const freshIp = () => `203.0.113.${(ipCounter++ % 250) + 1}`;

describe.each(dialects)('authentication and CSRF (%s)', (dialect) => {
  let server: TestServer;
  let tokens: SessionTokens;
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    server = await startTestServer(dialect, { TRUST_PROXY: 'true' });
    tokens = new SessionTokens(loadAppKey(server.config.APP_KEY, server.config.DATA_DIR));
    snapshot = fingerprint(server.server.sequelize, { full: ['webhooks', 'api_keys'], appendOnly: ['webhook_deliveries'], drained: ['webhook_events'] });
    const res = await fetch(`${server.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'existing', url: 'http://127.0.0.1:9/hook', events: ['message.received'], secret: 'existing-secret' }),
    });
    expect(res.status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Credentials that must all be refused, as request headers (and a query string). */
  function badCredentials(): { label: string; headers: Record<string, string>; query?: string }[] {
    const otherKeyTokens = new SessionTokens(randomBytes(32));
    const expired = new SessionTokens(loadAppKey(server.config.APP_KEY, server.config.DATA_DIR), { now: () => Date.now() - 13 * 60 * 60 * 1000 });
    const valid = tokens.issue().token;
    return [
      { label: 'no credentials', headers: {} },
      { label: 'empty bearer', headers: { authorization: 'Bearer ' } },
      { label: 'wrong key', headers: { authorization: 'Bearer wrong-key-0123456789abcdef' } },
      { label: 'key in other case', headers: { authorization: `Bearer ${TEST_API_KEY.toUpperCase()}` } },
      { label: 'key plus a character', headers: { authorization: `Bearer ${TEST_API_KEY}x` } },
      { label: 'key minus a character', headers: { authorization: `Bearer ${TEST_API_KEY.slice(0, -1)}` } },
      { label: 'basic auth', headers: { authorization: `Basic ${Buffer.from(`admin:${TEST_API_KEY}`).toString('base64')}` } },
      { label: 'other scheme', headers: { authorization: `Token ${TEST_API_KEY}` } },
      { label: 'SQL in the key', headers: { authorization: "Bearer '||'1'='1'--aaaaaaaaaaaa" } },
      { label: 'huge key', headers: { authorization: `Bearer ${'a'.repeat(8000)}` } },
      { label: 'key in the query string', headers: {}, query: `?api_key=${TEST_API_KEY}&token=${TEST_API_KEY}` },
      { label: 'forged session cookie', headers: { cookie: `lc_session=v1.${'A'.repeat(22)}.zzzzzzzz.${'B'.repeat(43)}` } },
      { label: 'session signed with another key', headers: { cookie: `lc_session=${otherKeyTokens.issue().token}` } },
      { label: 'expired session', headers: { cookie: `lc_session=${expired.issue().token}` } },
      { label: 'tampered session', headers: { cookie: `lc_session=${valid.slice(0, -2)}${valid.endsWith('AA') ? 'BB' : 'AA'}` } },
    ];
  }

  it('refuses every API route for every kind of bad credential, with 401 and the error envelope, changing nothing', async () => {
    const before = await snapshot();
    const answers: string[] = [];
    for (const credential of badCredentials()) {
      for (const [method, path] of apiRoutes) {
        const res = await fetch(`${server.url}/api/v1${path}${credential.query ?? ''}`, {
          method,
          headers: { ...credential.headers, 'x-forwarded-for': freshIp(), 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : JSON.stringify({ name: 'hijack', url: 'https://example.com', events: ['message.received'], since: '2000-01-01T00:00:00Z' }),
        });
        const body = (await res.json().catch(() => null)) as { success?: unknown; data?: unknown } | null;
        if (res.status !== 401 || body?.success !== false || body?.data !== null) answers.push(`${credential.label}: ${method} ${path} → ${res.status} ${JSON.stringify(body)}`);
      }
    }
    expect(answers).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('lets the valid key through (the refusals above are about the credential, not the route)', async () => {
    const res = await fetch(`${server.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'x-forwarded-for': freshIp() } });
    expect(res.status).toBe(200);
  });

  it('slows key guessing: after 20 failures one address gets 429 with Retry-After, other addresses are unaffected', async () => {
    const guesser = '198.51.100.66';
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${server.url}/api/v1/webhooks`, { headers: { authorization: `Bearer guess-${i}-0123456789abcdef`, 'x-forwarded-for': guesser } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(21)).toEqual(Array(4).fill(429));
    const bystander = await fetch(`${server.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, 'x-forwarded-for': freshIp() } });
    expect(bystander.status).toBe(200);
  });

  it('sends every admin page to the sign-in page without a valid session', async () => {
    for (const credential of badCredentials().filter((c) => !c.headers.authorization)) {
      for (const path of adminPages) {
        const res = await fetch(`${server.url}${path}`, { headers: credential.headers, redirect: 'manual' });
        expect({ path, label: credential.label, status: res.status, location: res.headers.get('location') }).toEqual({
          path,
          label: credential.label,
          status: 303,
          location: `/admin/login?next=${encodeURIComponent(path)}`,
        });
      }
    }
    // An API key is not a page session: the console asks for a sign-in.
    const withKey = await fetch(`${server.url}/admin/webhooks`, { headers: { authorization: `Bearer ${TEST_API_KEY}` }, redirect: 'manual' });
    expect(withKey.status).toBe(303);
  });

  async function signIn(origin = server.url): Promise<Response> {
    return fetch(`${server.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'x-forwarded-for': freshIp() },
      body: new URLSearchParams({ api_key: TEST_API_KEY, next: '/admin/webhooks' }).toString(),
      redirect: 'manual',
    });
  }

  it('signs in with a session cookie that is HttpOnly, SameSite=Strict and scoped to the site', async () => {
    const res = await signIn();
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^lc_session=[^;]+;/);
    expect(cookie).toMatch(/;\s*HttpOnly(;|$)/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict(;|$)/i);
    expect(cookie).toMatch(/;\s*Path=\/(;|$)/i);
    expect(cookie).toMatch(/;\s*Max-Age=\d+/i);
    // The cookie carries a signed session, never the API key.
    expect(cookie).not.toContain(TEST_API_KEY);
  });

  it('refuses a sign-in posted from another site, and a wrong key, without setting a cookie', async () => {
    const crossSite = await signIn('https://evil.example');
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    const wrong = await fetch(`${server.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': freshIp() },
      body: 'api_key=not-the-key-0123456789abcdef',
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
  });

  it('refuses state-changing requests that ride on the session cookie without its CSRF token', async () => {
    const cookie = (await signIn()).headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${server.url}/admin/webhooks`, { headers: { cookie } })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    const otherSession = tokens.issue().session;
    const before = await snapshot();
    const body = JSON.stringify({ name: 'csrf', url: 'http://127.0.0.1:9/hook', events: ['message.received'] });
    const attempts: [string, string, Record<string, string>][] = [
      ['POST', '/api/v1/webhooks', {}],
      ['POST', '/api/v1/webhooks', { 'x-csrf-token': 'nope' }],
      ['POST', '/api/v1/webhooks', { 'x-csrf-token': tokens.csrfToken(otherSession) }],
      ['PUT', '/api/v1/webhooks/1', {}],
      ['DELETE', '/api/v1/webhooks/1', {}],
      ['POST', '/api/v1/webhooks/1/regenerate-secret', {}],
      ['POST', '/api/v1/webhooks/1/test', {}],
    ];
    for (const [method, path, extra] of attempts) {
      const res = await fetch(`${server.url}${path}`, { method, headers: { cookie, 'content-type': 'application/json', ...extra }, body: method === 'DELETE' ? undefined : body });
      expect({ method, path, extra, status: res.status }).toEqual({ method, path, extra, status: 403 });
    }
    // A form post (what a cross-site page can send) is refused too.
    const form = await fetch(`${server.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=csrf&url=http://127.0.0.1:9/hook&events=message.received',
    });
    expect(form.status).toBe(403);
    expect(await snapshot()).toBe(before);

    // With the token it works: the refusals were about CSRF, and reads never needed it.
    expect((await fetch(`${server.url}/api/v1/webhooks`, { headers: { cookie } })).status).toBe(200);
    const ok = await fetch(`${server.url}/api/v1/webhooks`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf! }, body });
    expect(ok.status).toBe(201);

    // Sign-out needs it as well.
    const logout = await fetch(`${server.url}/admin/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(logout.status).toBe(403);
  });

  it('refuses /agent connections without a valid key or session (and session sockets without CSRF or from another site)', async () => {
    const session = tokens.issue();
    const cookie = `lc_session=${session.token}`;
    const csrf = tokens.csrfToken(session.session);
    const attempt = (auth: Record<string, unknown>, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        const socket = io(`${server.url}/agent`, { transports: ['websocket'], forceNew: true, reconnection: false, auth, extraHeaders: headers });
        const timer = setTimeout(() => done('timeout'), 5000);
        const done = (result: string) => {
          clearTimeout(timer);
          socket.disconnect();
          resolve(result);
        };
        socket.once('connect', () => done('connected'));
        socket.once('connect_error', () => done('refused'));
      });

    const refused: [string, Record<string, unknown>, Record<string, string>][] = [
      ['nothing', {}, {}],
      ['wrong key', { apiKey: 'wrong-key-0123456789abcdef' }, {}],
      ['key as a number', { apiKey: 12345678901234567890 }, {}],
      ['key as an object', { apiKey: { $ne: null } }, {}],
      ['key as an array', { apiKey: [TEST_API_KEY] }, {}],
      ['huge key', { apiKey: 'k'.repeat(100_000) }, {}],
      ['forged cookie', { csrf }, { cookie: `lc_session=v1.${'A'.repeat(22)}.zzzzzzzz.${'B'.repeat(43)}` }],
      ['cookie without CSRF', {}, { cookie }],
      ['cookie with a wrong CSRF', { csrf: 'nope' }, { cookie }],
      ['cookie and CSRF from another site', { csrf }, { cookie, origin: 'https://evil.example' }],
    ];
    for (const [label, auth, headers] of refused) {
      expect({ label, result: await attempt(auth, headers) }).toEqual({ label, result: 'refused' });
    }
    expect(await attempt({ apiKey: TEST_API_KEY })).toBe('connected');
    expect(await attempt({ csrf }, { cookie, origin: server.url })).toBe('connected');
  });
});
