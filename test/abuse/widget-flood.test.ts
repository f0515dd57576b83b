import { QueryTypes } from 'sequelize';
import { io, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Ack = { ok: true; conversation_id: number; visitor_token?: string } | { ok: false; error: { code: string; message: string } };

const CONVERSATIONS_PER_HOUR = 5;
const MESSAGES_PER_MINUTE = 10;

describe.each(dialects)('widget flood limits (%s)', (dialect) => {
  let server: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect, {
      TRUST_PROXY: 'true',
      WIDGET_CONVERSATIONS_PER_HOUR: String(CONVERSATIONS_PER_HOUR),
      WIDGET_MESSAGES_PER_MINUTE: String(MESSAGES_PER_MINUTE),
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
  });

  /** A visitor from `ip` (the proxy's X-Forwarded-For), resuming `token` if given. */
  function visitor(ip: string, token?: string): Promise<{ socket: Socket; token: string }> {
    return new Promise((resolve, reject) => {
      const socket = io(`${server.url}/widget`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth: token ? { token } : {},
        extraHeaders: { 'x-forwarded-for': ip },
      });
      sockets.push(socket);
      const timer = setTimeout(() => reject(new Error(`no session push within 5 s (connected: ${socket.connected})`)), 5000);
      socket.once('session', (s: { visitor_token: string }) => {
        clearTimeout(timer);
        resolve({ socket, token: s.visitor_token });
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }
  const send = (socket: Socket, event: string, payload: unknown) => socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack>;
  const codes = (acks: Ack[]) => acks.map((a) => (a.ok ? 'ok' : a.error.code));
  const count = async (sql: string) =>
    Number((await server.server.sequelize.query<{ n: number | string }>(sql, { type: QueryTypes.SELECT }))[0]!.n);

  it('limits new conversations per IP, whichever way they are started, and leaves other IPs alone', async () => {
    const before = await count('SELECT COUNT(*) AS n FROM conversations');
    const flood: Ack[] = [];
    for (let i = 0; i < 12; i++) {
      const { socket } = await visitor('198.51.100.7');
      // Half start explicitly, half by sending a first message with no open conversation.
      flood.push(await (i % 2 ? send(socket, 'conversation:start', { name: `bot ${i}` }) : send(socket, 'message:send', { content: `spam ${i}` })));
    }
    expect(codes(flood)).toEqual([...Array(CONVERSATIONS_PER_HOUR).fill('ok'), ...Array(12 - CONVERSATIONS_PER_HOUR).fill('rate_limited')]);
    for (const ack of flood) if (!ack.ok) expect(ack.error.message).toMatch(/try again in \d+ s/);

    // Someone else, meanwhile, starts a conversation at once.
    const { socket } = await visitor('198.51.100.8');
    expect(codes([await send(socket, 'conversation:start', { name: 'real person' })])).toEqual(['ok']);

    // Only what was accepted was written.
    expect(await count('SELECT COUNT(*) AS n FROM conversations')).toBe(before + CONVERSATIONS_PER_HOUR + 1);
  });

  it('limits one visitor’s messages, across reconnects, without slowing another visitor', async () => {
    const flooder = await visitor('192.0.2.10');
    const steady = await visitor('192.0.2.11');
    const before = await count('SELECT COUNT(*) AS n FROM messages');

    const flood: Ack[] = [];
    const steadyAcks: Ack[] = [];
    const steadyMs: number[] = [];
    for (let i = 0; i < 25; i++) {
      flood.push(await send(flooder.socket, 'message:send', { content: `flood ${i}` }));
      if (i % 5 === 0) {
        const started = performance.now();
        steadyAcks.push(await send(steady.socket, 'message:send', { content: `hello ${i}` }));
        steadyMs.push(performance.now() - started);
      }
    }
    expect(codes(flood)).toEqual([...Array(MESSAGES_PER_MINUTE).fill('ok'), ...Array(25 - MESSAGES_PER_MINUTE).fill('rate_limited')]);
    expect(codes(steadyAcks)).toEqual(Array(5).fill('ok'));
    expect(Math.max(...steadyMs)).toBeLessThan(1000);

    // Reconnecting with the same token, or opening a second tab, does not reset the count.
    flooder.socket.disconnect();
    const again = await visitor('192.0.2.10', flooder.token);
    const secondTab = await visitor('192.0.2.10', flooder.token);
    expect(codes([await send(again.socket, 'message:send', { content: 'after reconnect' }), await send(secondTab.socket, 'message:send', { content: 'tab' })])).toEqual([
      'rate_limited',
      'rate_limited',
    ]);

    expect(await count('SELECT COUNT(*) AS n FROM messages')).toBe(before + MESSAGES_PER_MINUTE + 5);
  });

  it('limits typing notices, which fan out to every agent', async () => {
    const { socket } = await visitor('192.0.2.20');
    expect((await send(socket, 'message:send', { content: 'hi' })).ok).toBe(true);
    const acks: Ack[] = [];
    for (let i = 0; i < 300; i++) acks.push(await send(socket, 'typing', { is_typing: i % 2 === 0 }));
    expect(codes(acks)).toContain('rate_limited');
    expect(codes(acks).slice(0, 10)).toEqual(Array(10).fill('ok'));
  });
});
