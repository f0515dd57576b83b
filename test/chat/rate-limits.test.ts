import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import { call, connectAgent, connectWidget, ok, sleep } from './clients.js';

describe.each(dialects)('widget rate limits on %s', (dialect) => {
  let t: TestServer;
  const sockets: Socket[] = [];
  const fired: HookPayload[] = [];

  /** A visitor coming from `ip` (TRUST_PROXY is on, so the first X-Forwarded-For hop counts). */
  const visitorFrom = async (ip: string, token?: string) => {
    const w = await connectWidget(t.url, token ? { token } : {}, { extraHeaders: { 'X-Forwarded-For': `${ip}, 10.0.0.1` } });
    sockets.push(w.socket);
    return w;
  };

  beforeAll(async () => {
    t = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '3', WIDGET_CONVERSATIONS_PER_HOUR: '2', TRUST_PROXY: 'true' });
    for (const event of ['conversation.started', 'message.received'] as const) t.server.hooks.on(event, (p) => void fired.push(p as HookPayload));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.stop();
  });

  it('limits messages per visitor, not per server', async () => {
    const { socket: chatty } = await visitorFrom('198.51.100.1');
    for (let i = 1; i <= 3; i++) await ok(chatty, 'message:send', { content: `message ${i}` });
    const refused = await call(chatty, 'message:send', { content: 'one too many' });
    expect(refused).toEqual({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/try again in \d+ s/) } });
    expect(chatty.connected).toBe(true);

    const { socket: other } = await visitorFrom('198.51.100.2');
    await ok(other, 'message:send', { content: 'I have my own allowance' });
    await sleep(50);
    expect(fired.filter((p) => p.event === 'message.received')).toHaveLength(4);
  });

  it('limits new conversations per IP; returning an open one costs nothing', async () => {
    const first = await visitorFrom('203.0.113.5');
    const a = await ok(first.socket, 'conversation:start', {});
    expect(await ok(first.socket, 'conversation:start', {})).toMatchObject({ conversation_id: a.conversation_id });
    const second = await visitorFrom('203.0.113.5');
    await ok(second.socket, 'conversation:start', {});

    fired.length = 0;
    const third = await visitorFrom('203.0.113.5');
    expect(await call(third.socket, 'conversation:start', {})).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // A first message would start a conversation too, so it is refused the same way.
    expect(await call(third.socket, 'message:send', { content: 'hello?' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    await sleep(50);
    expect(fired).toEqual([]);

    // The refused visitor was never stored: reconnecting with its token makes a new visitor.
    const again = await visitorFrom('203.0.113.5', third.session.visitor_token);
    expect(again.session.visitor_token).not.toBe(third.session.visitor_token);

    // Another address is unaffected, and the recorded IP is the first forwarded hop.
    const elsewhere = await visitorFrom('192.0.2.77');
    await ok(elsewhere.socket, 'conversation:start', {});
    await sleep(50);
    expect(fired.map((p) => (p.data as { visitor_ip: string }).visitor_ip)).toEqual(['192.0.2.77']);
  });

  it('never limits agents', async () => {
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    sockets.push(agent);
    const { socket } = await visitorFrom('192.0.2.200');
    const id = (await ok(socket, 'conversation:start', {})).conversation_id;
    for (let i = 0; i < 10; i++) await ok(agent, 'message:send', { conversation_id: id, content: `reply ${i}` });
  });
});
