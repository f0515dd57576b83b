import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { ChaosStack, TEST_API_KEY } from '../chaos/support/stack.js';
import type { ChildServer } from '../chaos/support/child-server.js';
import { call, connectWidget } from './clients.js';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two real server processes on one MariaDB database and one Redis act as one (SPEC §10): the
 * visitor's message limit, sign-outs and the brute-force limit hold across them. The Redis keys
 * are namespaced by the database name, and each run has its own database, so runs sharing the
 * system Redis never count against each other.
 */
describe('two server processes sharing Redis (MariaDB)', () => {
  let stack: ChaosStack;
  let a: ChildServer;
  let b: ChildServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await ChaosStack.create();
    const env = { REDIS_URL, WIDGET_MESSAGES_PER_MINUTE: '10', TRUST_PROXY: '1', LOG_LEVEL: 'warn' };
    a = await stack.server('a', env);
    b = await stack.server('b', env);
    await a.start(60_000);
    await b.start(60_000);
  }, 150_000);
  afterAll(async () => {
    for (const s of sockets) s.close();
    await stack?.dispose();
  });

  it('holds one visitor alternating between the instances to WIDGET_MESSAGES_PER_MINUTE in all', async () => {
    const onA = await connectWidget(a.url);
    sockets.push(onA.socket);
    const first = await call(onA.socket, 'message:send', { content: 'alternating 0' });
    const codes: string[] = [first.ok ? 'ok' : first.error.code];
    // The visitor row exists from the first message: now B knows the token too.
    const onB = await connectWidget(b.url, { token: onA.session.visitor_token });
    sockets.push(onB.socket);
    expect(onB.session.visitor_token).toBe(onA.session.visitor_token);
    for (let i = 1; i < 24; i++) {
      const ack = await call(i % 2 === 0 ? onA.socket : onB.socket, 'message:send', { content: `alternating ${i}` });
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    const accepted = codes.filter((c) => c === 'ok').length;
    console.log(`visitor alternating between two instances: ${accepted} of 24 accepted (limit 10)`);
    expect(accepted).toBe(10);
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(new Set(codes.slice(10))).toEqual(new Set(['rate_limited']));
  });

  it('refuses a session cookie on the other instance once it signed out on one (pages, API, /agent)', async () => {
    const signIn = await fetch(`${a.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: a.url },
      body: new URLSearchParams({ api_key: TEST_API_KEY, next: '/admin/conversations' }).toString(),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(`${b.url}/admin/conversations`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(200);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await page.text())?.[1];
    expect(csrf).toBeTruthy();
    expect(await agentHandshake(b.url, cookie, csrf!)).toBe('connected');

    const signOut = await fetch(`${a.url}/admin/logout`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: a.url },
      body: new URLSearchParams({ _csrf: csrf! }).toString(),
      redirect: 'manual',
    });
    expect(signOut.status).toBe(303);

    // The browser dropped the cookie; a copy of it is refused everywhere.
    for (const server of [b, a]) {
      const again = await fetch(`${server.url}/admin/conversations`, { headers: { cookie }, redirect: 'manual' });
      expect({ on: server.url, status: again.status, location: again.headers.get('location') }).toEqual({
        on: server.url,
        status: 303,
        location: `/admin/login?next=${encodeURIComponent('/admin/conversations')}`,
      });
      expect((await fetch(`${server.url}/api/v1/webhooks`, { headers: { cookie } })).status).toBe(401);
      expect(await agentHandshake(server.url, cookie, csrf!)).toBe('refused');
    }
  });

  it('stops a guesser across both instances, whatever it puts in X-Forwarded-For, and still lets the right key in from its address', async () => {
    const address = '198.51.100.77';
    // TRUST_PROXY=1: the proxy appends the address it saw; what the client wrote before it is ignored.
    const via = () => ({ 'x-forwarded-for': `${randomUUID().slice(0, 8)}.example, 10.${rand()}.${rand()}.${rand()}, ${address}` });
    const statuses: number[] = [];
    for (let i = 0; i < 26; i++) {
      const res = await fetch(`${(i % 2 === 0 ? a : b).url}/api/v1/webhooks`, { headers: { authorization: `Bearer guess-${randomUUID()}`, ...via() } });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    console.log(`guesser alternating instances with varied X-Forwarded-For: ${statuses.filter((s) => s === 401).length} guesses checked before 429 (limit 20)`);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(6).fill(429));

    // The admin behind the same proxy address, with the right key, on either instance.
    for (const server of [a, b]) {
      expect((await fetch(`${server.url}/api/v1/webhooks`, { headers: { authorization: `Bearer ${TEST_API_KEY}`, ...via() } })).status).toBe(200);
    }
    // The sign-in form likewise, after 20 failed sign-ins from that address.
    const form = (server: ChildServer, key: string) =>
      fetch(`${server.url}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...via() },
        body: new URLSearchParams({ api_key: key }).toString(),
        redirect: 'manual',
      });
    const signIns: number[] = [];
    for (let i = 0; i < 22; i++) signIns.push((await form(i % 2 === 0 ? a : b, `wrong-${randomUUID()}`)).status);
    expect(signIns.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(signIns.slice(20)).toEqual([429, 429]);
    expect((await form(b, TEST_API_KEY)).status).toBe(303);
  });
});

const rand = () => Math.floor(Math.random() * 250) + 1;

function agentHandshake(url: string, cookie: string, csrf: string): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = io(`${url}/agent`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { csrf }, extraHeaders: { cookie, origin: url } });
    const done = (result: 'connected' | 'refused') => {
      socket.close();
      resolve(result);
    };
    socket.once('connect', () => done('connected'));
    socket.once('connect_error', () => done('refused'));
  });
}
