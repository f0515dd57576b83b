import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { call, connectAgent, connectWidget } from './clients.js';

describe.each(dialects)('agent authentication on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(dialect);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.each<[string, Record<string, unknown>]>([
    ['no credentials', {}],
    ['a wrong API key', { apiKey: 'wrong-key-0123456789abcdef' }],
    ['an empty API key', { apiKey: '' }],
    ['a numeric API key', { apiKey: 12345678901234567890 }],
    ['an object API key', { apiKey: { $ne: null } }],
    ['a visitor token instead', { token: 'A'.repeat(43) }],
  ])('refuses %s with connect_error "unauthorized"', async (_name, auth) => {
    await expect(connectAgent(t.url, auth)).rejects.toThrow('unauthorized');
  });

  it('admits ADMIN_API_KEY and a stored API key', async () => {
    const stored = await t.server.apiKeys.create('console');
    for (const apiKey of [TEST_API_KEY, stored]) {
      const agent = await connectAgent(t.url, { apiKey });
      expect(await call(agent, 'conversations:list', {})).toEqual({ ok: true, conversations: expect.any(Array) });
      agent.close();
    }
  });

  it('gives a visitor no agent powers: agent events on /widget are not answered as agent events', async () => {
    const { socket } = await connectWidget(t.url);
    // The widget namespace has no such event: the ack never comes.
    await expect(socket.timeout(300).emitWithAck('conversations:list', {})).rejects.toThrow();
    expect(socket.connected).toBe(true);
    socket.close();
  });
});
