import { dialects } from './support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from './support/server.js';

describe.each(dialects)('server on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(dialect);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('reports a healthy database at /healthz', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'up' });
  });

  it('accepts ADMIN_API_KEY and refuses other keys', async () => {
    expect(await t.server.apiKeys.verify(TEST_API_KEY)).toBe(true);
    expect(await t.server.apiKeys.verify('wrong-key-0123456789abcdef')).toBe(false);
    expect(await t.server.apiKeys.verify(undefined)).toBe(false);
  });

  it('has applied every migration', async () => {
    const tables = (await t.server.sequelize.getQueryInterface().showAllTables()).map(String).sort();
    expect(tables).toEqual(expect.arrayContaining(['api_keys', 'conversations', 'messages', 'visitors', 'webhooks', 'webhook_deliveries', 'webhook_delivery_attempts']));
  });

  it('registers the webhooks plugin admin page from plugin.json', () => {
    expect(t.server.adminPages).toEqual([{ path: '/admin/webhooks', title: 'Webhooks', section: 'Live Chat' }]);
  });
});
