import { io, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { summarize } from './fuzz/rest.js';
import { fingerprint } from './fuzz/snapshot.js';
import { fuzzSocket } from './fuzz/sockets.js';
import { fuzzSocketText, webhookBody } from './fuzz/text-sockets.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

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
  let receiver: Receiver;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    receiver = await startReceiver();
    server = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '100000', WIDGET_CONVERSATIONS_PER_HOUR: '100000' });
    snapshot = fingerprint(server.server.sequelize, { growing: ['visitors', 'conversations', 'messages'], appendOnly: ['webhook_deliveries'], drained: ['webhook_events'] });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
    await receiver?.close();
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

  const createWebhook = async (body: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
  };

  it('applies the text rule to every field of every event of both namespaces and their handshakes: NUL refused by name, lone surrogates read back as U+FFFD, emoji and RTL exactly', async () => {
    const started = Date.now();
    await createWebhook({ name: 'text echo', url: `${receiver.url}?f=json`, events: ['conversation.started', 'message.received', 'message.sent'], format: 'json' });
    const result = await fuzzSocketText({ url: server.url, apiKey: TEST_API_KEY, receiver, snapshot });
    expect(summarize(result.failures)).toEqual({});
    expect(result.cases).toBeGreaterThanOrEqual(126);
    expect(result.echoed).toBeGreaterThan(30);
    expect(unhandled).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    console.log(`text fuzz (${dialect}): ${result.cases} socket cases, ${result.echoed} read back, ${Date.now() - started} ms, ${JSON.stringify(result.byOutcome)}`);
  });

  it('a message with a lone surrogate reaches Slack- and Discord-format receivers as valid JSON with U+FFFD', async () => {
    await createWebhook({ name: 'slack text', url: `${receiver.url}?f=slack`, events: ['message.received'], format: 'slack' });
    await createWebhook({ name: 'discord text', url: `${receiver.url}?f=discord`, events: ['message.received'], format: 'discord' });
    const visitor = await track(connect(`${server.url}/widget`));
    const ack = (await visitor.timeout(5000).emitWithAck('message:send', { content: 'Lone \uD83D surrogate' })) as { ok: boolean };
    expect(ack.ok).toBe(true);
    for (const format of ['slack', 'discord']) {
      let raw = '';
      const body = await webhookBody(receiver, (_b, request) => {
        raw = request.body.toString('utf8');
        return request.path.endsWith(`f=${format}`) && raw.includes('Lone');
      });
      const request = receiver.requests.find((r) => r.path.endsWith(`f=${format}`) && r.body.toString('utf8').includes('Lone'))!;
      // What Slack and Discord parse: strict UTF-8, JSON, and no escaped lone surrogate inside it.
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(request.body)).not.toThrow();
      expect(raw).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
      expect(JSON.stringify(body)).toContain('Lone \uFFFD surrogate');
    }
  });
});
