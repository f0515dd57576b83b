import { io, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { summarize } from './fuzz/rest.js';
import { fingerprint } from './fuzz/snapshot.js';
import { fuzzSocket } from './fuzz/sockets.js';

/** Cases per namespace and dialect; FUZZ_CASES raises it for a longer local run. */
const CASES = Number(process.env.FUZZ_CASES ?? 700);

function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

describe.each(dialects)('Socket.IO fuzz (%s)', (dialect) => {
  let server: TestServer;
  const sockets: Socket[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let snapshot: () => Promise<string>;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '100000', WIDGET_CONVERSATIONS_PER_HOUR: '100000' });
    snapshot = fingerprint(server.server.sequelize, { growing: ['visitors', 'conversations', 'messages'], appendOnly: ['webhook_deliveries'] });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  const track = async (promise: Promise<Socket>) => {
    const socket = await promise;
    sockets.push(socket);
    return socket;
  };

  it(`/widget answers ${CASES} hostile events with a well-formed ack, stays connected, and refuses without writing`, async () => {
    const widget = () => track(connect(`${server.url}/widget`));
    const result = await fuzzSocket({
      socket: await widget(),
      reconnect: widget,
      seed: dialect === 'mysql' ? 0xa11ce : 0xb0b,
      cases: CASES,
      snapshot,
      events: {
        'conversation:start': { name: '"Ann"', email: '"ann@example.com"', phone: '"+1 555 0100"', current_url: '"https://example.com/pricing"' },
        'message:send': { content: '"Hello, is anyone there?"', current_url: '"https://example.com/pricing"' },
        typing: { is_typing: 'true' },
        'conversation:close': {},
      },
    });
    expect(summarize(result.failures)).toEqual({});
    expect(result.refused).toBeGreaterThan(CASES * 0.3);
    expect(unhandled).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`/agent answers ${CASES} hostile events with a well-formed ack, stays connected, and refuses without writing`, async () => {
    // A real conversation for the events to point at.
    const visitor = await track(connect(`${server.url}/widget`));
    const started = (await visitor.timeout(5000).emitWithAck('message:send', { content: 'hi' })) as { ok: boolean; conversation_id: number };
    expect(started.ok).toBe(true);
    const id = String(started.conversation_id);
    const agent = () => track(connect(`${server.url}/agent`, { apiKey: TEST_API_KEY }));
    const result = await fuzzSocket({
      socket: await agent(),
      reconnect: agent,
      seed: dialect === 'mysql' ? 0xc0ffee : 0xdecaf,
      cases: CASES,
      snapshot,
      events: {
        'conversations:list': { status: '"open"' },
        'conversation:messages': { conversation_id: id, before_id: '1000', limit: '10' },
        'message:send': { conversation_id: id, content: '"How can I help?"', admin_name: '"Ada"' },
        'conversation:close': { conversation_id: id },
        typing: { conversation_id: id, is_typing: 'true' },
      },
    });
    expect(summarize(result.failures)).toEqual({});
    expect(result.refused).toBeGreaterThan(CASES * 0.3);
    expect(unhandled).toEqual([]);
  });

  it('a frame beyond the transport limit closes only that connection; the server and other visitors carry on', async () => {
    const bystander = await track(connect(`${server.url}/widget`));
    const abuser = await track(connect(`${server.url}/widget`));
    const gone = new Promise((resolve) => abuser.once('disconnect', resolve));
    abuser.emit('message:send', { content: 'x'.repeat(2 * 1024 * 1024) });
    await gone;
    const ack = (await bystander.timeout(5000).emitWithAck('message:send', { content: 'still here' })) as { ok: boolean };
    expect(ack.ok).toBe(true);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
