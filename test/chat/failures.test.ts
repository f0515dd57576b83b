import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { TEST_API_KEY } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import { call, connectAgent, connectWidget, ok, sleep } from './clients.js';
import { startChatHarness, type ChatHarness } from './harness.js';

const ACK_TIMEOUT_MS = 400;
const FIXED_NOW = new Date('2030-01-02T03:04:05.678Z');

describe.each(dialects)('chat under failure on %s', (dialect) => {
  let h: ChatHarness;
  let clock: Date | null = null;
  const sockets: Socket[] = [];
  const fired: HookPayload[] = [];
  const widget = async () => {
    const w = await connectWidget(h.url);
    sockets.push(w.socket);
    return w;
  };
  const messageCount = async () => {
    const [rows] = await h.sequelize.query('SELECT COUNT(*) AS n FROM messages');
    return Number((rows as { n: number | string }[])[0]!.n);
  };

  beforeAll(async () => {
    h = await startChatHarness(dialect, {
      ackTimeoutMs: ACK_TIMEOUT_MS,
      now: () => clock ?? new Date(),
      verifyAgentHandshake: async (handshake) => {
        if (handshake.headers.cookie === 'session=explode') throw new Error('session store down');
        return handshake.headers.cookie === 'session=valid';
      },
    });
    for (const event of ['conversation.started', 'message.received'] as const) h.hooks.on(event, (p) => void fired.push(p as HookPayload));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await h?.stop();
  });
  beforeEach(() => {
    fired.length = 0;
    clock = null;
  });

  it('stamps rows, hooks and acks with the injected clock', async () => {
    clock = FIXED_NOW;
    const { socket } = await widget();
    const sent = await ok(socket, 'message:send', { content: 'time travel' });
    expect(sent.created_at).toBe(FIXED_NOW.toISOString());
    await sleep(50);
    expect(fired.map((p) => [p.event, p.occurredAt.toISOString(), p.data.created_at])).toEqual([
      ['conversation.started', FIXED_NOW.toISOString(), FIXED_NOW.toISOString()],
      ['message.received', FIXED_NOW.toISOString(), FIXED_NOW.toISOString()],
    ]);
  });

  it('rolls the message back when a durable listener fails, and says internal', async () => {
    const { socket } = await widget();
    const before = await messageCount();
    const remove = h.hooks.onDurable('message.received', async () => {
      throw new Error('outbox insert failed');
    });
    try {
      const ack = await call(socket, 'message:send', { content: 'must not be half-stored' });
      expect(ack).toEqual({ ok: false, error: { code: 'internal', message: expect.any(String) } });
    } finally {
      remove();
    }
    expect(await messageCount()).toBe(before);
    await sleep(50);
    expect(fired).toEqual([]); // neither the conversation nor the message was announced
    expect(socket.connected).toBe(true);
    await ok(socket, 'message:send', { content: 'now it works' });
    expect(await messageCount()).toBe(before + 1);
  });

  it('answers internal by the deadline when the write is stuck, instead of hanging', async () => {
    const { socket } = await widget();
    await ok(socket, 'conversation:start', {});
    const remove = h.hooks.onDurable('message.received', () => sleep(ACK_TIMEOUT_MS * 3));
    try {
      const started = performance.now();
      const ack = await call(socket, 'message:send', { content: 'slow' });
      const waited = performance.now() - started;
      expect(ack).toMatchObject({ ok: false, error: { code: 'internal' } });
      expect(waited).toBeGreaterThanOrEqual(ACK_TIMEOUT_MS - 20);
      expect(waited).toBeLessThan(ACK_TIMEOUT_MS * 2.5);
    } finally {
      remove();
    }
    await sleep(ACK_TIMEOUT_MS * 3); // let the slow write finish before the next test
  });

  it('lets an agent in through verifyAgentHandshake, and keeps the API key working', async () => {
    const viaCookie = await connectAgentWithCookie(h.url, 'session=valid');
    sockets.push(viaCookie);
    expect(await call(viaCookie, 'conversations:list', {})).toMatchObject({ ok: true });
    await expect(connectAgentWithCookie(h.url, 'session=forged')).rejects.toThrow('unauthorized');
    await expect(connectAgentWithCookie(h.url, 'session=explode')).rejects.toThrow('unauthorized');
    const viaKey = await connectAgent(h.url, { apiKey: TEST_API_KEY });
    sockets.push(viaKey);
  });

  it('waits on close for a write it already accepted', async () => {
    const other = await startChatHarness(dialect);
    try {
      const { socket } = await connectWidget(other.url);
      other.hooks.onDurable('message.received', () => sleep(300));
      const acked = call(socket, 'message:send', { content: 'accepted just before shutdown' }).catch(() => null);
      await sleep(100);
      await other.chat.close();
      const [rows] = await other.sequelize.query('SELECT content FROM messages');
      expect(rows).toEqual([{ content: 'accepted just before shutdown' }]);
      await acked;
      socket.close();
    } finally {
      await other.stop();
    }
  });

  if (dialect === 'mysql') {
    it('answers internal quickly while the database is down, and recovers when it is back', async () => {
      const { socket } = await widget();
      await ok(socket, 'message:send', { content: 'before the outage' });
      await h.database!.down();
      try {
        const started = performance.now();
        const ack = await call(socket, 'message:send', { content: 'during the outage' });
        expect(ack).toMatchObject({ ok: false, error: { code: 'internal' } });
        expect(performance.now() - started).toBeLessThan(ACK_TIMEOUT_MS + 200);
        expect(socket.connected).toBe(true);
        // New visitors cannot be looked up either: the handshake is refused, not hung.
        await expect(connectWidget(h.url, { token: 'A'.repeat(43) })).rejects.toThrow('unavailable');
      } finally {
        await h.database!.up();
      }
      let recovered = await call(socket, 'message:send', { content: 'after the outage' });
      for (let i = 0; i < 20 && !recovered.ok; i++) {
        await sleep(100);
        recovered = await call(socket, 'message:send', { content: 'after the outage' });
      }
      expect(recovered).toMatchObject({ ok: true });
    });
  }
});

async function connectAgentWithCookie(url: string, cookie: string): Promise<Socket> {
  const { io } = await import('socket.io-client');
  const socket = io(`${url}/agent`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return socket;
}
