import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';
import { requireApiKeyOrSession } from '../../src/admin/auth.js';
import { apiKeyGuard } from '../../src/auth/require-api-key.js';
import { SessionTokens } from '../../src/auth/session.js';
import { loadAppKey } from '../../src/crypto/secret-box.js';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

/** Admin sign-in, session cookie, CSRF and the /agent handshake, over real HTTP on both dialects. */
describe.each(dialects)('admin sign-in on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(dialect);
  });
  afterAll(async () => {
    await t?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(t.url + path, { redirect: 'manual', headers });
  const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(t.url + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: t.url, ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  /** Signs in through the form; returns the `Cookie` header value and the page's CSRF token. */
  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const res = await postForm('/admin/login', { api_key: TEST_API_KEY, next: '/admin/webhooks' });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await get('/admin/webhooks', { cookie })).text();
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;
    return { cookie, csrf };
  }

  it('redirects every page to the sign-in page without a session, remembering where to return', async () => {
    for (const path of ['/admin/webhooks', '/admin/webhooks/new', '/admin/webhooks/1/edit', '/admin/webhooks/1/deliveries', '/admin/webhooks/1/deliveries/x', '/admin/conversations']) {
      const res = await get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/login?next=${encodeURIComponent(path)}`);
    }
    expect((await get('/admin')).headers.get('location')).toBe('/admin/login');
  });

  it('refuses a forged or expired cookie', async () => {
    const res = await get('/admin/webhooks', { cookie: 'lc_session=v1.AAAAAAAAAAAAAAAAAAAAAA.zzzzzzzz.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(res.status).toBe(303);
  });

  it('serves the sign-in form with a strict Content-Security-Policy', async () => {
    const res = await get('/admin/login?next=%2Fadmin%2Fwebhooks');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const body = await res.text();
    expect(body).toContain('name="api_key"');
    expect(body).toContain('name="next" value="/admin/webhooks"');
  });

  it('refuses a wrong key with 401, and an empty one with 422, setting no cookie', async () => {
    const wrong = await postForm('/admin/login', { api_key: 'wrong-key-0123456789abcdef' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That API key is not valid.');
    const empty = await postForm('/admin/login', { api_key: '  ' });
    expect(empty.status).toBe(422);
  });

  it('refuses a sign-in posted from another origin (login CSRF)', async () => {
    const res = await postForm('/admin/login', { api_key: TEST_API_KEY }, { Origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with a valid key: HttpOnly SameSite=Strict cookie, back to `next` (never off-site)', async () => {
    const res = await postForm('/admin/login', { api_key: TEST_API_KEY, next: '/admin/webhooks/7/deliveries?status=failed' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/webhooks/7/deliveries?status=failed');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^lc_session=v2\.[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);

    const offsite = await postForm('/admin/login', { api_key: TEST_API_KEY, next: '//evil.example/admin' });
    expect(offsite.headers.get('location')).toBe('/admin/conversations');
  });

  it('shows pages with the navigation and a CSRF token once signed in', async () => {
    const { cookie, csrf } = await signIn();
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await get('/admin/webhooks', { cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.text();
    expect(body).toMatch(/<div class="nav-heading">Live Chat<\/div>\s*<a class="nav-link" href="\/admin\/conversations">Conversations<\/a><a class="nav-link" href="\/admin\/webhooks" aria-current="page">Webhooks<\/a>/);
    // The plugin's page, in this console's layout: its own script and stylesheet, the CSRF token on its root.
    expect(body).toContain('<script type="module" src="/admin/webhooks/assets/webhooks.js"></script>');
    expect(body).toContain('<link rel="stylesheet" href="/admin/webhooks/assets/webhooks.css">');
    expect(body).toContain(`data-csrf-token="${csrf}"`);
    expect((await get('/admin', { cookie })).headers.get('location')).toBe('/admin/conversations');
    expect((await get('/admin/login', { cookie })).headers.get('location')).toBe('/admin/conversations');
    expect((await get('/admin/webhooks/abc/edit', { cookie })).status).toBe(404);
    const form = await (await get('/admin/webhooks/12/edit', { cookie })).text();
    expect(form).toContain('data-webhook-id="12"');
    for (const event of ['conversation.started', 'message.received', 'message.sent', 'conversation.closed']) expect(form).toContain(`value="${event}"`);
  });

  it('serves the client bundles, each small, with ETags', async () => {
    let total = 0;
    for (const name of ['webhooks/assets/webhooks.js', 'webhooks/assets/webhook-form.js', 'webhooks/assets/deliveries.js', 'webhooks/assets/delivery.js', 'webhooks/assets/webhooks.css', 'assets/conversations.js', 'assets/admin.css']) {
      const res = await get(`/admin/${name}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(name.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      const size = (await res.arrayBuffer()).byteLength;
      expect(size).toBeLessThan(150_000);
      total += size;
      const again = await get(`/admin/${name}`, { 'If-None-Match': res.headers.get('etag')! });
      expect(again.status).toBe(304);
    }
    expect(total).toBeLessThan(300_000);
    const zipped = await get('/admin/assets/conversations.js', { 'Accept-Encoding': 'gzip' });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(Number(zipped.headers.get('content-length'))).toBeLessThan(25_000);
    expect((await get('/admin/assets/nope.js')).status).toBe(404);
    expect((await get('/admin/assets/..%2Fserver.ts')).status).toBe(404);
    expect((await get('/admin/webhooks/assets/nope.js')).status).toBe(404);
    expect((await get('/admin/webhooks/assets/..%2Froutes.ts')).status).toBe(404);
  });

  it('signs out only with the CSRF token, clearing the cookie', async () => {
    const { cookie, csrf } = await signIn();
    const forged = await postForm('/admin/logout', {}, { cookie });
    expect(forged.status).toBe(403);
    const res = await postForm('/admin/logout', { _csrf: csrf }, { cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    expect(res.headers.get('set-cookie')).toMatch(/^lc_session=; .*Max-Age=0/);
  });

  describe('the API auth middleware', () => {
    let probe: Server;
    let probeUrl: string;
    beforeAll(async () => {
      // The same middleware the server hands the plugin host, over the same app key and key store.
      const tokens = new SessionTokens(loadAppKey(undefined, t.config.DATA_DIR));
      const app = express();
      app.all('/probe', requireApiKeyOrSession(t.server.apiKeys, tokens, apiKeyGuard(t.server.apiKeys)), (_req, res) => void res.json({ ok: true }));
      probe = app.listen(0, '127.0.0.1');
      await new Promise((r) => probe.once('listening', r));
      probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/probe`;
    });
    afterAll(async () => {
      await new Promise((r) => probe.close(r));
    });

    it('accepts the session cookie for reads, and for writes only with the CSRF token', async () => {
      const { cookie, csrf } = await signIn();
      expect((await fetch(probeUrl, { headers: { cookie } })).status).toBe(200);
      const noToken = await fetch(probeUrl, { method: 'POST', headers: { cookie } });
      expect(noToken.status).toBe(403);
      expect(await noToken.json()).toEqual({ success: false, data: null, message: 'Forbidden: missing or invalid CSRF token' });
      expect((await fetch(probeUrl, { method: 'POST', headers: { cookie, 'X-CSRF-Token': 'x'.repeat(43) } })).status).toBe(403);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        expect((await fetch(probeUrl, { method, headers: { cookie, 'X-CSRF-Token': csrf } })).status).toBe(200);
      }
    });

    it('accepts a bearer key without a CSRF token, and refuses a wrong one even with a cookie', async () => {
      const { cookie } = await signIn();
      expect((await fetch(probeUrl, { method: 'POST', headers: { Authorization: `Bearer ${TEST_API_KEY}` } })).status).toBe(200);
      expect((await fetch(probeUrl, { method: 'POST', headers: { Authorization: 'Bearer wrong-key-0123456789abcdef', cookie } })).status).toBe(401);
      expect((await fetch(probeUrl)).status).toBe(401);
    });
  });

  describe('the /agent namespace', () => {
    const sockets: Socket[] = [];
    afterAll(() => sockets.forEach((s) => s.disconnect()));

    function agent(auth: Record<string, unknown>, headers: Record<string, string>): Promise<string> {
      const socket = connect(`${t.url}/agent`, { auth, extraHeaders: headers, transports: ['websocket'], reconnection: false, forceNew: true });
      sockets.push(socket);
      return new Promise((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (err) => resolve(err.message));
      });
    }

    it('lets the console in with the session cookie and its CSRF token', async () => {
      const { cookie, csrf } = await signIn();
      expect(await agent({ csrf }, { cookie, Origin: t.url })).toBe('connected');
    });

    it('refuses the cookie without the CSRF token, or from another origin', async () => {
      const { cookie, csrf } = await signIn();
      expect(await agent({}, { cookie })).toBe('unauthorized');
      expect(await agent({ csrf }, { cookie, Origin: 'https://evil.example' })).toBe('unauthorized');
      expect(await agent({ csrf }, {})).toBe('unauthorized');
    });
  });

  it('slows down a client that keeps failing to sign in', async () => {
    let last = 0;
    for (let i = 0; i < 21; i++) last = (await postForm('/admin/login', { api_key: `wrong-key-${i}-0123456789abcdef` })).status;
    expect(last).toBe(429);
  });
});

describe('admin sign-in behind an https proxy', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('marks the session cookie Secure when the request came over https', async () => {
    const signIn = (proto: string) =>
      fetch(`${t.url}/admin/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-Proto': proto },
        body: new URLSearchParams({ api_key: TEST_API_KEY }).toString(),
      });
    expect((await signIn('https')).headers.get('set-cookie')).toMatch(/; Secure$/);
    expect((await signIn('http')).headers.get('set-cookie')).not.toMatch(/Secure/);
  });
});
