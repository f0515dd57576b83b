import { QueryTypes } from 'sequelize';
import { io as connect, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { call, connectWidget, next, ok } from '../chat/clients.js';

/**
 * Agent accounts over real HTTP and Socket.IO on both dialects: an admin adds agents through the
 * Agents page, agents sign in with email and password, answer under their own name, and are kept
 * out of everything that is an admin's (SPEC §4, §9).
 */
describe.each(dialects)('agent accounts on %s', (dialect) => {
  let t: TestServer;
  let receiver: Receiver;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    t = await startTestServer(dialect);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.stop();
    await receiver?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(t.url + path, { redirect: 'manual', headers });
  const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(t.url + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: t.url, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;
  const csrfOf = (page: string) => /<meta name="csrf-token" content="([^"]+)">/.exec(page)![1]!;

  async function session(fields: Record<string, string>): Promise<{ cookie: string; csrf: string }> {
    const res = await postForm('/admin/login', { ...fields, next: '/admin/conversations' });
    expect(res.status).toBe(303);
    const cookie = cookieOf(res);
    return { cookie, csrf: csrfOf(await (await get('/admin/conversations', { cookie })).text()) };
  }
  const asAdmin = () => session({ api_key: TEST_API_KEY });

  async function addAgent(admin: { cookie: string; csrf: string }, fields: Record<string, string>): Promise<Response> {
    return postForm('/admin/agents', { _csrf: admin.csrf, role: 'agent', ...fields }, { cookie: admin.cookie });
  }

  function agentSocket(s: { cookie: string; csrf: string }, auth: Record<string, unknown> = {}): Promise<Socket> {
    const socket = connect(`${t.url}/agent`, { auth: { csrf: s.csrf, ...auth }, extraHeaders: { cookie: s.cookie, Origin: t.url }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  }

  let admin: { cookie: string; csrf: string };

  it('lets an admin add agents through the Agents page, storing only a salted scrypt hash', async () => {
    admin = await asAdmin();
    const page = await (await get('/admin/agents', { cookie: admin.cookie })).text();
    expect(page).toContain('No agents yet.');
    const res = await addAgent(admin, { name: 'Ana <b>Lima</b>', email: ' Ana@Example.com ', password: 'correct horse battery' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/agents?done=added');
    await addAgent(admin, { name: 'Ben', email: 'ben@example.com', password: 'another long secret' });
    const list = await (await get('/admin/agents?done=added', { cookie: admin.cookie })).text();
    expect(list).toContain('Agent added.');
    expect(list).toContain('Ana &lt;b&gt;Lima&lt;/b&gt;');
    expect(list).toContain('ana@example.com');
    const rows = await t.server.sequelize.query<{ email: string; password_hash: string }>('SELECT email, password_hash FROM agents ORDER BY id', { type: QueryTypes.SELECT });
    expect(rows.map((r) => r.email)).toEqual(['ana@example.com', 'ben@example.com']);
    for (const row of rows) expect(row.password_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(rows[0]!.password_hash.split('$')[4]).not.toBe(rows[1]!.password_hash.split('$')[4]);
    expect(JSON.stringify(rows)).not.toContain('correct horse');
  });

  it('shows field errors for bad input and a taken email, keeping what was typed but the password', async () => {
    const bad = await addAgent(admin, { name: '', email: 'not-an-email', password: 'short' });
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain('Enter a name.');
    expect(page).toContain('Enter an email address.');
    expect(page).toContain('At least 10 characters.');
    expect(page).toContain('value="not-an-email"');
    const taken = await addAgent(admin, { name: 'Ana again', email: 'ANA@example.com', password: 'whatever long enough' });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain('An agent with this email already exists.');
    expect((await addAgent({ ...admin, csrf: 'x'.repeat(43) }, { name: 'X', email: 'x@example.com', password: 'long enough pw' })).status).toBe(403);
  });

  it('signs an agent in with email and password, and refuses a wrong password with 401', async () => {
    const wrong = await postForm('/admin/login', { email: 'ana@example.com', password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That email and password do not match an account.');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const unknown = await postForm('/admin/login', { email: 'nobody@example.com', password: 'wrong password!' });
    expect(unknown.status).toBe(401);
    const empty = await postForm('/admin/login', { email: 'ana@example.com', password: '' });
    expect(empty.status).toBe(422);
    const ana = await session({ email: 'ANA@example.com', password: 'correct horse battery' });
    const page = await (await get('/admin/conversations', { cookie: ana.cookie })).text();
    expect(page).toContain('You answer as <strong>Ana &lt;b&gt;Lima&lt;/b&gt;</strong>');
    expect(page).not.toContain('Reply as');
  });

  it('keeps an agent out of the Webhooks and Agents pages and the webhooks API, and hides them from its navigation', async () => {
    const ben = await session({ email: 'ben@example.com', password: 'another long secret' });
    const page = await (await get('/admin/conversations', { cookie: ben.cookie })).text();
    expect(page).toContain('href="/admin/conversations"');
    expect(page).not.toContain('href="/admin/webhooks"');
    expect(page).not.toContain('href="/admin/agents"');
    for (const path of ['/admin/webhooks', '/admin/webhooks/new', '/admin/agents']) {
      const res = await get(path, { cookie: ben.cookie });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Admins only');
    }
    const list = await get('/api/v1/webhooks', { cookie: ben.cookie });
    expect(list.status).toBe(403);
    expect((await list.json()).message).toMatch(/only an admin/);
    const create = await fetch(`${t.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { cookie: ben.cookie, 'X-CSRF-Token': ben.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'sneaky', url: receiver.url, events: ['message.sent'] }),
    });
    expect(create.status).toBe(403);
    expect((await addAgent(ben, { name: 'Mallory', email: 'm@example.com', password: 'long enough pw' })).status).toBe(403);
    // The admin's view of the same things still works.
    expect((await get('/api/v1/webhooks', { cookie: admin.cookie })).status).toBe(200);
    expect((await get('/admin/webhooks', { cookie: admin.cookie })).status).toBe(200);
  });

  it('sends the signed-in agent’s name as admin_name in acks, pushes and the message.sent webhook, whatever the client claims', async () => {
    const hook = await fetch(`${t.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'sent', url: receiver.url, events: ['message.sent'] }),
    });
    expect(hook.status).toBe(201);
    const { socket: visitor } = await connectWidget(t.url);
    sockets.push(visitor);
    const started = await ok(visitor, 'message:send', { content: 'Hello?' });
    const conversationId = started.conversation_id as number;

    const ana = await agentSocket(await session({ email: 'ana@example.com', password: 'correct horse battery' }), { name: 'Pretender' });
    const seen = next<{ admin_name: string | null }>(visitor, 'message');
    await ok(ana, 'message:send', { conversation_id: conversationId, content: 'Hi, Ana here', admin_name: 'Someone else' });
    expect((await seen).admin_name).toBe('Ana <b>Lima</b>');

    const machine = await connect(`${t.url}/agent`, { auth: { apiKey: TEST_API_KEY }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(machine);
    await ok(machine, 'message:send', { conversation_id: conversationId, content: 'From a bot', admin_name: 'Bot' });
    await ok(machine, 'message:send', { conversation_id: conversationId, content: 'Anonymous' });

    const requests = await receiver.waitFor(3, 15_000);
    const names = requests.map((r) => r.json<{ data: { content: string; admin_name: string | null } }>().data).map((d) => [d.content, d.admin_name]);
    expect(names).toEqual([
      ['Hi, Ana here', 'Ana <b>Lima</b>'],
      ['From a bot', 'Bot'],
      ['Anonymous', null],
    ]);
    const history = await ok(ana, 'conversation:messages', { conversation_id: conversationId });
    expect((history.messages as { admin_name: string | null }[]).map((m) => m.admin_name)).toEqual([null, 'Ana <b>Lima</b>', 'Bot', null]);
  });

  it('signs a removed agent out everywhere: pages, API and the /agent socket', async () => {
    const ben = await session({ email: 'ben@example.com', password: 'another long secret' });
    expect((await get('/admin/conversations', { cookie: ben.cookie })).status).toBe(200);
    const [row] = await t.server.sequelize.query<{ id: number }>("SELECT id FROM agents WHERE email = 'ben@example.com'", { type: QueryTypes.SELECT });
    const removed = await postForm(`/admin/agents/${row!.id}/delete`, { _csrf: admin.csrf }, { cookie: admin.cookie });
    expect(removed.headers.get('location')).toBe('/admin/agents?done=removed');
    expect((await get('/admin/conversations', { cookie: ben.cookie })).status).toBe(303);
    await expect(agentSocket(ben)).rejects.toThrow('unauthorized');
    expect((await postForm('/admin/login', { email: 'ben@example.com', password: 'another long secret' })).status).toBe(401);
  });

  it('does not let an admin account remove itself', async () => {
    await addAgent(admin, { name: 'Root', email: 'root@example.com', password: 'root password 123', role: 'admin' });
    const root = await session({ email: 'root@example.com', password: 'root password 123' });
    expect((await get('/admin/webhooks', { cookie: root.cookie })).status).toBe(200);
    const page = await (await get('/admin/agents', { cookie: root.cookie })).text();
    expect(page).toContain('>You<');
    const [row] = await t.server.sequelize.query<{ id: number }>("SELECT id FROM agents WHERE email = 'root@example.com'", { type: QueryTypes.SELECT });
    expect((await postForm(`/admin/agents/${row!.id}/delete`, { _csrf: root.csrf }, { cookie: root.cookie })).status).toBe(409);
    expect((await get('/admin/agents', { cookie: root.cookie })).status).toBe(200);
  });

  it('refuses agent-only events nobody asked for: search and history need valid input', async () => {
    const machine = connect(`${t.url}/agent`, { auth: { apiKey: TEST_API_KEY }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(machine);
    expect(await call(machine, 'conversations:search', { query: 'a' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call(machine, 'visitor:history', { conversation_id: 999999 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('password guessing at one account', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { TRUST_PROXY: 'true' });
    await t.server.sequelize.query('SELECT 1');
  });
  afterAll(async () => {
    await t?.stop();
  });

  const attempt = (ip: string, email: string, password: string) =>
    fetch(`${t.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: t.url, 'X-Forwarded-For': ip },
      body: new URLSearchParams({ email, password }).toString(),
    });

  it('counts failures per account across addresses, refusing even the right password once over the limit', async () => {
    const { AgentStore } = await import('../../src/auth/agents.js');
    await new AgentStore(t.server.sequelize).create({ name: 'Cy', email: 'cy@example.com', password: 'the right password', role: 'agent' });
    // 20 failures from one address lock (that address, that account) ...
    for (let i = 0; i < 20; i++) expect((await attempt('10.0.0.1', 'cy@example.com', `guess ${i} xxxxxx`)).status).toBe(401);
    const locked = await attempt('10.0.0.1', 'cy@example.com', 'the right password');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // ... while the owner elsewhere still gets in.
    expect((await attempt('10.0.0.9', 'cy@example.com', 'the right password')).status).toBe(303);
    // 100 failures in all, spread over addresses, lock the account everywhere for the window.
    for (let ip = 2; ip <= 5; ip++) for (let i = 0; i < 20; i++) await attempt(`10.0.0.${ip}`, 'cy@example.com', `guess ${i} yyyyyy`);
    expect((await attempt('10.0.0.50', 'cy@example.com', 'the right password')).status).toBe(429);
    // Another account and the API key are untouched.
    expect((await attempt('10.0.0.50', 'nobody@example.com', 'whatever pw')).status).toBe(401);
  }, 120_000);
});
