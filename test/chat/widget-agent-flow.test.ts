import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import type { ChatEventName } from '../../src/events.js';
import { conversationData, messageData, closedConversationData } from '../../src/events.js';
import { call, collect, connectAgent, connectWidget, next, ok, sleep } from './clients.js';

describe.each(dialects)('widget and agent conversation on %s', (dialect) => {
  let t: TestServer;
  let agent: Socket;
  const sockets: Socket[] = [];
  const fired: HookPayload[] = [];

  const widget = async (auth: Record<string, unknown> = {}) => {
    const w = await connectWidget(t.url, auth);
    sockets.push(w.socket);
    return w;
  };
  const firedFor = (event: ChatEventName) => fired.filter((p) => p.event === event);

  beforeAll(async () => {
    t = await startTestServer(dialect);
    for (const event of ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'] as const) {
      t.server.hooks.on(event, (payload) => {
        fired.push(payload as HookPayload);
      });
    }
    agent = await connectAgent(t.url, { apiKey: TEST_API_KEY, name: 'Alice' });
    sockets.push(agent);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.stop();
  });
  beforeEach(() => {
    fired.length = 0;
  });

  it('carries a conversation: visitor starts and writes, the agent sees it and replies, the visitor gets the reply', async () => {
    const { socket: visitor, session } = await widget();
    expect(session).toEqual({ visitor_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), conversation_id: null });

    const started = next(agent, 'conversation:started');
    const start = await ok(visitor, 'conversation:start', { name: 'Vera', email: 'vera@example.com', current_url: 'https://shop.example/cart' });
    expect(start).toEqual({ ok: true, conversation_id: expect.any(Number), visitor_token: session.visitor_token });
    const conversationId = start.conversation_id as number;
    expect(await started).toMatchObject({ conversation_id: conversationId, visitor_name: 'Vera', status: 'open', last_message: null });

    const pushed = next(agent, 'message', (m) => m.conversation_id === conversationId);
    const sent = await ok(visitor, 'message:send', { content: 'Hello, is anyone there?' });
    expect(sent).toEqual({ ok: true, message_id: expect.any(Number), conversation_id: conversationId, created_at: expect.any(String) });
    expect(new Date(sent.created_at as string).toISOString()).toBe(sent.created_at);
    expect(await pushed).toMatchObject({
      message_id: sent.message_id,
      content: 'Hello, is anyone there?',
      is_from_admin: false,
      admin_name: null,
      visitor_email: 'vera@example.com',
      current_url: 'https://shop.example/cart',
    });

    const reply = next(visitor, 'message');
    const answered = await ok(agent, 'message:send', { conversation_id: conversationId, content: 'Hi Vera, how can I help?' });
    expect(answered).toMatchObject({ message_id: expect.any(Number) });
    expect(await reply).toEqual({
      message_id: answered.message_id,
      conversation_id: conversationId,
      content: 'Hi Vera, how can I help?',
      is_from_admin: true,
      admin_name: 'Alice',
      created_at: expect.any(String),
    });

    const list = await ok(agent, 'conversations:list', { status: 'open' });
    const row = (list.conversations as Record<string, unknown>[]).find((c) => c.conversation_id === conversationId);
    expect(row).toMatchObject({ status: 'open', visitor_name: 'Vera', last_message: { content: 'Hi Vera, how can I help?', is_from_admin: true } });

    const history = await ok(agent, 'conversation:messages', { conversation_id: conversationId });
    expect((history.messages as { content: string }[]).map((m) => m.content)).toEqual(['Hello, is anyone there?', 'Hi Vera, how can I help?']);
    expect(history.has_more).toBe(false);
  });

  it('fires each hook exactly once, with the SPEC data, after the ack', async () => {
    const { socket: visitor } = await widget();
    const start = await ok(visitor, 'conversation:start', { name: 'Hook', phone: '+1 555 0100', current_url: 'https://a.example/' });
    const id = start.conversation_id as number;
    await ok(visitor, 'conversation:start', {}); // already open: returns it, fires nothing
    const sent = await ok(visitor, 'message:send', { content: 'one', current_url: 'https://a.example/pricing' });
    const replied = await ok(agent, 'message:send', { conversation_id: id, content: 'two', admin_name: 'Bob' });
    await ok(agent, 'conversation:close', { conversation_id: id });
    await ok(agent, 'conversation:close', { conversation_id: id }); // closing again: ok, fires nothing
    await sleep(100); // plain listeners run on a later tick

    expect(fired.map((p) => p.event)).toEqual(['conversation.started', 'message.received', 'message.sent', 'conversation.closed']);
    const [startedHook] = firedFor('conversation.started');
    expect(conversationData.strict().parse(startedHook!.data)).toEqual({
      conversation_id: id,
      visitor_name: 'Hook',
      visitor_email: null,
      visitor_phone: '+1 555 0100',
      visitor_ip: '127.0.0.1',
      current_url: 'https://a.example/',
      status: 'open',
      created_at: startedHook!.occurredAt.toISOString(),
    });
    const [received] = firedFor('message.received');
    expect(messageData.strict().parse(received!.data)).toMatchObject({
      message_id: sent.message_id,
      content: 'one',
      is_from_admin: false,
      admin_name: null,
      conversation_id: id,
      current_url: 'https://a.example/pricing',
      created_at: sent.created_at,
    });
    const [sentHook] = firedFor('message.sent');
    expect(messageData.strict().parse(sentHook!.data)).toMatchObject({ message_id: replied.message_id, is_from_admin: true, admin_name: 'Bob', status: 'open' });
    const [closed] = firedFor('conversation.closed');
    expect(closedConversationData.strict().parse(closed!.data)).toMatchObject({ conversation_id: id, status: 'closed', closed_at: expect.any(String) });
  });

  it('resumes a visitor by token: a reconnect gets the same visitor and conversation', async () => {
    const first = await widget();
    const start = await ok(first.socket, 'conversation:start', {});
    first.socket.close();

    const again = await widget({ token: first.session.visitor_token });
    expect(again.session).toEqual({ visitor_token: first.session.visitor_token, conversation_id: start.conversation_id });
    const sent = await ok(again.socket, 'message:send', { content: 'back again' });
    expect(sent.conversation_id).toBe(start.conversation_id);
    expect(firedFor('conversation.started')).toHaveLength(1);

    // The agent's reply reaches the resumed socket (it rejoined the visitor's room).
    const reply = next(again.socket, 'message');
    await ok(agent, 'message:send', { conversation_id: start.conversation_id, content: 'welcome back' });
    expect((await reply).content).toBe('welcome back');
  });

  it('treats an unknown or malformed token as a new visitor with a new token', async () => {
    for (const token of ['A'.repeat(43), 'not a token', 42, { nested: true }, 'x'.repeat(10_000)]) {
      const { session } = await widget({ token });
      expect(session.conversation_id).toBeNull();
      expect(session.visitor_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session.visitor_token).not.toBe(token);
    }
  });

  it('after an agent closes, the visitor is told and their next message starts a new conversation', async () => {
    const { socket: visitor, session } = await widget();
    const first = (await ok(visitor, 'message:send', { content: 'first conversation' })).conversation_id as number;
    expect(firedFor('conversation.started')).toHaveLength(0 + 1);

    const closedPush = next(visitor, 'conversation:closed');
    await ok(agent, 'conversation:close', { conversation_id: first });
    expect(await closedPush).toEqual({ conversation_id: first });

    const refused = await call(agent, 'message:send', { conversation_id: first, content: 'too late' });
    expect(refused).toEqual({ ok: false, error: { code: 'conversation_closed', message: expect.any(String) } });

    const startedAgain = next(agent, 'conversation:started');
    const second = await ok(visitor, 'message:send', { content: 'one more question' });
    expect(second.conversation_id).not.toBe(first);
    expect((await startedAgain).conversation_id).toBe(second.conversation_id);
    await sleep(50);
    expect(firedFor('conversation.started')).toHaveLength(2);

    const resumed = await widget({ token: session.visitor_token });
    expect(resumed.session.conversation_id).toBe(second.conversation_id);
  });

  it('lets the visitor close their conversation', async () => {
    const { socket: visitor } = await widget();
    const id = (await ok(visitor, 'conversation:start', {})).conversation_id as number;
    const agentSees = next(agent, 'conversation:closed', (c) => c.conversation_id === id);
    expect(await call(visitor, 'conversation:close', {})).toEqual({ ok: true });
    expect(await agentSees).toMatchObject({ conversation_id: id, status: 'closed' });
    expect(await call(visitor, 'conversation:close', {})).toEqual({ ok: true }); // nothing open: nothing fired
    await sleep(50);
    expect(firedFor('conversation.closed')).toHaveLength(1);
    const closedList = await ok(agent, 'conversations:list', { status: 'closed' });
    expect((closedList.conversations as { conversation_id: number }[]).some((c) => c.conversation_id === id)).toBe(true);
  });

  it('forwards typing both ways and syncs a visitor\'s other tabs', async () => {
    const tab1 = await widget();
    const id = (await ok(tab1.socket, 'conversation:start', {})).conversation_id as number;
    const tab2 = await widget({ token: tab1.session.visitor_token });

    const agentTyping = next(agent, 'typing');
    expect(await call(tab1.socket, 'typing', { is_typing: true })).toEqual({ ok: true });
    expect(await agentTyping).toEqual({ conversation_id: id, is_typing: true });

    const visitorTyping = next(tab2.socket, 'typing');
    await ok(agent, 'typing', { conversation_id: id, is_typing: true });
    expect(await visitorTyping).toEqual({ conversation_id: id, is_typing: true, admin_name: 'Alice' });

    const ownEcho = collect(tab1.socket, 'message');
    const otherTab = next(tab2.socket, 'message');
    const sent = await ok(tab1.socket, 'message:send', { content: 'from tab one' });
    expect(await otherTab).toMatchObject({ message_id: sent.message_id, is_from_admin: false });
    await sleep(100);
    expect(ownEcho).toEqual([]);
  });

  it('answers not_found for an unknown conversation', async () => {
    for (const event of ['message:send', 'conversation:close', 'conversation:messages', 'typing']) {
      const payload =
        event === 'message:send' ? { conversation_id: 999_999, content: 'x' }
        : event === 'typing' ? { conversation_id: 999_999, is_typing: true }
        : { conversation_id: 999_999 };
      expect(await call(agent, event, payload)).toEqual({ ok: false, error: { code: 'not_found', message: expect.any(String) } });
    }
  });

  it('records the first X-Forwarded-For hop only when TRUST_PROXY is on (it is off here)', async () => {
    const w = await connectWidget(t.url, {}, { extraHeaders: { 'X-Forwarded-For': '203.0.113.7' } });
    sockets.push(w.socket);
    await ok(w.socket, 'conversation:start', {});
    await sleep(50);
    expect(firedFor('conversation.started')[0]!.data.visitor_ip).toBe('127.0.0.1');
  });
});
