import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import { call, connectAgent, connectWidget, ok, sleep } from './clients.js';

describe.each(dialects)('concurrent writes on %s', (dialect) => {
  let t: TestServer;
  const sockets: Socket[] = [];
  const started: HookPayload<'conversation.started'>[] = [];

  beforeAll(async () => {
    t = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '1000' });
    t.server.hooks.on('conversation.started', (p) => void started.push(p));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.stop();
  });

  it('starts exactly one conversation when two tabs of a visitor write at once', async () => {
    const first = await connectWidget(t.url);
    sockets.push(first.socket);
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    sockets.push(agent);
    // The visitor exists but has nothing open.
    const old = (await ok(first.socket, 'conversation:start', {})).conversation_id;
    await ok(agent, 'conversation:close', { conversation_id: old });
    await sleep(50);
    started.length = 0;

    const tabs = [first.socket, (await connectWidget(t.url, { token: first.session.visitor_token })).socket];
    sockets.push(tabs[1]!);
    const acks = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ok(tabs[i % 2]!, 'message:send', { content: `burst ${i}` })),
    );
    const ids = new Set(acks.map((a) => a.conversation_id));
    expect(ids.size).toBe(1);
    expect(ids.has(old)).toBe(false);
    await sleep(50);
    expect(started).toHaveLength(1);
  });

  it('interleaves visitor messages and agent replies in one conversation without a failure', async () => {
    const { socket: visitor } = await connectWidget(t.url);
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    sockets.push(visitor, agent);
    const id = (await ok(visitor, 'conversation:start', {})).conversation_id as number;
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 ? call(visitor, 'message:send', { content: `v${i}` }) : call(agent, 'message:send', { conversation_id: id, content: `a${i}` }),
      ),
    );
    expect(acks.filter((a) => !a.ok)).toEqual([]);
    const history = await ok(agent, 'conversation:messages', { conversation_id: id, limit: 500 });
    expect(history.messages).toHaveLength(30);
    // The visitor's own messages keep the order they were sent in.
    const visitorOrder = (history.messages as { content: string; is_from_admin: boolean }[]).filter((m) => !m.is_from_admin).map((m) => Number(m.content.slice(1)));
    expect(visitorOrder).toEqual([...visitorOrder].sort((x, y) => x - y));
  });

  it('pages history backwards with before_id', async () => {
    const { socket: visitor } = await connectWidget(t.url);
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    sockets.push(visitor, agent);
    let id = 0;
    for (let i = 1; i <= 7; i++) id = (await ok(visitor, 'message:send', { content: `m${i}` })).conversation_id as number;
    const last = await ok(agent, 'conversation:messages', { conversation_id: id, limit: 3 });
    const contents = (r: Record<string, unknown>) => (r.messages as { content: string }[]).map((m) => m.content);
    expect(contents(last)).toEqual(['m5', 'm6', 'm7']);
    expect(last.has_more).toBe(true);
    const before = (last.messages as { message_id: number }[])[0]!.message_id;
    const older = await ok(agent, 'conversation:messages', { conversation_id: id, limit: 10, before_id: before });
    expect(contents(older)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(older.has_more).toBe(false);
  });
});
