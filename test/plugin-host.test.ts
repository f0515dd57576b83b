import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { Sequelize } from 'sequelize';
import { HookBus, loadConfig, createLogger, migrateUp, ApiKeyStore, requireApiKey, verifyWebhook } from '../src/index.js';
import * as webhooks from '../src/webhooks/plugin.js';
import { createTestDatabase, dialects, type TestDatabase } from './support/databases.js';
import { startReceiver, type Receiver } from './support/receiver.js';

/**
 * The README's "Installing the plugin into another server", done by a host that is not ours: a bare
 * express app with its own Sequelize and table, using only the package's exports.
 */
describe.each(dialects)('the plugin in another express server on %s', (dialect) => {
  const key = 'host-admin-key-0123456789abcdef';
  let db: TestDatabase;
  let sequelize: Sequelize;
  let http: Server;
  let base: string;
  let receiver: Receiver;
  let plugin: webhooks.WebhooksPluginInstance;
  let dataDir: string;
  const pages: { path: string; title: string; section: string }[] = [];
  const hooks = new HookBus();

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'host-'));
    receiver = await startReceiver();
    sequelize = dialect === 'sqlite'
      ? new Sequelize({ dialect: 'sqlite', storage: db.url.slice('sqlite:'.length), logging: false })
      : new Sequelize(db.url, { logging: false });
    // The host's own table: the plugin must not care what else is in the database.
    await sequelize.query('CREATE TABLE host_messages (id INTEGER PRIMARY KEY, body TEXT)');
    const config = loadConfig({ DATA_DIR: dataDir, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', LOG_LEVEL: 'silent' });
    await migrateUp(sequelize, webhooks.migrations);
    const app = express();
    const router = express.Router();
    app.use(router);
    const keys = new ApiKeyStore(sequelize, key);
    plugin = await webhooks.register({
      router, sequelize, hooks, config,
      logger: createLogger('silent'),
      auth: { requireApiKey: requireApiKey(keys), requireAdmin: requireApiKey(keys) },
      addAdminPage: (page) => pages.push(page),
    });
    http = createServer(app);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await plugin?.stop();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    await receiver?.close();
    await sequelize?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the REST API on the host router and delivers the host\'s hooks, signed, within the host\'s transaction', async () => {
    const created = await fetch(`${base}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'host hook', url: receiver.url, events: ['message.received'], secret: 'host-secret-123' }),
    });
    expect(created.status).toBe(201);
    expect(await fetch(`${base}/api/v1/webhooks`)).toHaveProperty('status', 401);

    const data = {
      message_id: 7, content: 'hello from another server', is_from_admin: false, admin_name: null,
      conversation_id: 3, visitor_name: 'Ann', visitor_email: null, visitor_phone: null, visitor_ip: '203.0.113.9',
      current_url: 'https://shop.example/cart', status: 'open' as const, created_at: new Date().toISOString(),
    };
    await sequelize.transaction(async (transaction) => {
      await sequelize.query("INSERT INTO host_messages (id, body) VALUES (7, 'hello')", { transaction });
      await hooks.emit('message.received', data, { transaction });
    });

    const [request] = await receiver.waitFor(1);
    expect(request!.headers['x-webhook-event']).toBe('message.received');
    expect(verifyWebhook(request!.body, request!.headers, 'host-secret-123')).toBe(true);
    expect(request!.json()).toMatchObject({ event: 'message.received', data });
  });

  it('writes nothing when the host\'s transaction rolls back', async () => {
    receiver.clear();
    const before = await sequelize.query('SELECT COUNT(*) AS n FROM webhook_deliveries', { plain: true });
    await expect(
      sequelize.transaction(async (transaction) => {
        await hooks.emit('message.received', {
          message_id: 8, content: 'never', is_from_admin: false, admin_name: null, conversation_id: 3, visitor_name: null,
          visitor_email: null, visitor_phone: null, visitor_ip: null, current_url: null, status: 'open', created_at: new Date().toISOString(),
        }, { transaction });
        throw new Error('host failed after emitting');
      }),
    ).rejects.toThrow('host failed after emitting');
    const after = await sequelize.query('SELECT COUNT(*) AS n FROM webhook_deliveries', { plain: true });
    expect(Number(after?.n)).toBe(Number(before?.n));
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toHaveLength(0);
  });
});
