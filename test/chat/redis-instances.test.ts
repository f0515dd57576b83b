import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import type { HookPayload } from '../../src/hooks.js';
import { connectAgent, connectWidget, next, ok, sleep } from './clients.js';

const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two instances on one MariaDB database and one Redis: a visitor on B and an agent on A still
 * talk. (SQLite is a single-instance setup, so this runs on MariaDB only.) Pushes are matched
 * on unique content, since other test files may share the Redis server.
 */
describe('two instances sharing Redis (MariaDB)', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;
  const sockets: Socket[] = [];
  const firedOn = { a: [] as HookPayload<'message.received'>[], b: [] as HookPayload<'message.received'>[] };

  beforeAll(async () => {
    db = await createTestDatabase('mysql');
    a = await startTestServer('mysql', { REDIS_URL }, db.url);
    b = await startTestServer('mysql', { REDIS_URL }, db.url);
    a.server.hooks.on('message.received', (p) => void firedOn.a.push(p));
    b.server.hooks.on('message.received', (p) => void firedOn.b.push(p));
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  it('carries pushes both ways between an agent on A and a visitor on B', async () => {
    const tag = randomUUID();
    const agent = await connectAgent(a.url, { apiKey: TEST_API_KEY, name: 'Agent on A' });
    const { socket: visitor } = await connectWidget(b.url);
    sockets.push(agent, visitor);

    const startedOnA = next(agent, 'conversation:started', (c) => c.visitor_name === tag);
    const id = (await ok(visitor, 'conversation:start', { name: tag })).conversation_id as number;
    expect(await startedOnA).toMatchObject({ conversation_id: id });

    const messageOnA = next(agent, 'message', (m) => m.content === `hello from B ${tag}`);
    const sent = await ok(visitor, 'message:send', { content: `hello from B ${tag}` });
    expect(await messageOnA).toMatchObject({ message_id: sent.message_id, conversation_id: id, is_from_admin: false });

    const replyOnB = next(visitor, 'message', (m) => m.content === `reply from A ${tag}`);
    await ok(agent, 'message:send', { conversation_id: id, content: `reply from A ${tag}` });
    expect(await replyOnB).toMatchObject({ conversation_id: id, is_from_admin: true, admin_name: 'Agent on A' });

    const closedOnB = next(visitor, 'conversation:closed', (c) => c.conversation_id === id);
    await ok(agent, 'conversation:close', { conversation_id: id });
    expect(await closedOnB).toEqual({ conversation_id: id });

    // The hook fires once, on the instance that stored the message.
    await sleep(50);
    expect(firedOn.b.filter((p) => p.data.content === `hello from B ${tag}`)).toHaveLength(1);
    expect(firedOn.a.filter((p) => p.data.content === `hello from B ${tag}`)).toHaveLength(0);
  });

  it('resumes a visitor on the other instance by token', async () => {
    const first = await connectWidget(b.url);
    const id = (await ok(first.socket, 'conversation:start', {})).conversation_id;
    first.socket.close();
    const again = await connectWidget(a.url, { token: first.session.visitor_token });
    sockets.push(again.socket);
    expect(again.session).toEqual({ visitor_token: first.session.visitor_token, conversation_id: id });
  });
});
