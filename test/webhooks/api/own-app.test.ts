import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import got from 'got';
import { pino } from 'pino';
import type { Sequelize } from 'sequelize';
import { coreMigrations, webhookMigrations } from '../../../migrations/index.js';
import { ApiKeyStore } from '../../../src/auth/api-keys.js';
import { apiKeyGuard, requireApiKey } from '../../../src/auth/require-api-key.js';
import { loadConfig } from '../../../src/config.js';
import { SecretBox } from '../../../src/crypto/secret-box.js';
import { connectDatabase } from '../../../src/db/connect.js';
import { migrateUp } from '../../../src/db/migrate.js';
import { createAddressGuard } from '../../../src/webhooks/http/address-guard.js';
import { createWebhooksApi } from '../../../src/webhooks/api/index.js';
import { DeliveryEngine } from '../../../src/webhooks/delivery/engine.js';
import { createDeliveryGot } from '../../../src/webhooks/http/sender.js';
import { createTestDatabase, dialects, type TestDatabase } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { TEST_API_KEY } from '../../support/server.js';
import { apiClient, seedDeliveries, webhookBody, type ApiClient } from './helpers.js';

/**
 * The API router in an express app of its own (as another host would mount it), with a real
 * engine and database, so the test can give it a resolver (this machine has no DNS: Slack and
 * Discord hosts must resolve for the URL rules), a small failed-auth limit, and a logger whose
 * every line is kept.
 */
const publicHosts: Record<string, string[]> = {
  'hooks.slack.com': ['8.8.8.8'],
  'discord.com': ['8.8.4.4'],
  'discordapp.com': ['8.8.4.4'],
  'example.org': ['93.184.215.14'],
  'internal.example.org': ['10.1.2.3'],
};

describe.each(dialects)('webhooks API in its own express app on %s', (dialect) => {
  let db: TestDatabase;
  let dataDir: string;
  let sequelize: Sequelize;
  let engine: DeliveryEngine;
  let closeGot: () => void;
  let server: Server;
  let receiver: Receiver;
  let api: ApiClient;
  let url: string;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'livechat-api-'));
    const config = loadConfig({ DATABASE_URL: db.url, DATA_DIR: dataDir, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', LOG_LEVEL: 'trace' });
    sequelize = await connectDatabase(config.DATABASE_URL);
    await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const secretBox = new SecretBox(randomBytes(32));
    const guard = createAddressGuard(config.WEBHOOK_ALLOWED_HOSTS);
    const http = createDeliveryGot(got, guard);
    closeGot = () => http.close();
    engine = new DeliveryEngine({ sequelize, config, logger, secretBox, got: http.got, guard });

    const app = express();
    app.use(
      createWebhooksApi({
        sequelize,
        config,
        engine,
        secretBox,
        logger,
        requireApiKey: (() => {
          const keys = new ApiKeyStore(sequelize, TEST_API_KEY);
          return requireApiKey(keys, apiKeyGuard(keys, { maxFailures: 3, windowSeconds: 60 }));
        })(),
        resolveHost: async (host) => publicHosts[host] ?? [],
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    api = apiClient(url);
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await engine?.stop();
    closeGot?.();
    await sequelize?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  describe('format default', () => {
    it.each([
      ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack'],
      ['https://discord.com/api/webhooks/123/abc', 'discord'],
      ['https://discordapp.com/api/webhooks/123/abc', 'discord'],
      ['https://example.org/webhooks/in', 'json'],
      ['https://hooks.slack.com/not-services/x', 'json'],
    ])('%s → %s', async (hookUrl, format) => {
      const res = await api.post('/webhooks', webhookBody(hookUrl));
      expect(res.status).toBe(201);
      expect(res.body.data.format).toBe(format);
    });

    it('keeps a format given explicitly', async () => {
      const res = await api.post('/webhooks', webhookBody('https://hooks.slack.com/services/T/B/X', { format: 'json' }));
      expect(res.body.data.format).toBe('json');
    });

    it('follows a URL change on update unless the format was chosen', async () => {
      const detected = (await api.post('/webhooks', webhookBody('https://example.org/a'))).body.data.id;
      expect((await api.put(`/webhooks/${detected}`, { url: 'https://discord.com/api/webhooks/1/x' })).body.data.format).toBe('discord');
      const chosen = (await api.post('/webhooks', webhookBody('https://example.org/a', { format: 'slack' }))).body.data.id;
      expect((await api.put(`/webhooks/${chosen}`, { url: 'https://discord.com/api/webhooks/1/x' })).body.data.format).toBe('slack');
    });
  });

  describe('URL rules through DNS', () => {
    it('refuses a host that does not resolve', async () => {
      const res = await api.post('/webhooks', webhookBody('https://nowhere.invalid/hook'));
      expect(res.status).toBe(422);
      expect(res.body.errors.url.join(' ')).toMatch(/does not resolve/);
    });

    it('refuses a hostname that resolves to a private address', async () => {
      const res = await api.post('/webhooks', webhookBody('https://internal.example.org/hook'));
      expect(res.status).toBe(422);
      expect(res.body.errors.url.join(' ')).toContain('10.1.2.3');
    });
  });

  it('never writes a secret or the API key to the logs', async () => {
    lines.length = 0;
    const created = await api.post('/webhooks', webhookBody(receiver.url, { secret: 'log-secret-created' }));
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    await api.put(`/webhooks/${id}`, { secret: 'log-secret-updated', name: 'renamed' });
    const regenerated = await api.post(`/webhooks/${id}/regenerate-secret`);
    const test = await api.post(`/webhooks/${id}/test`);
    expect(test.body.data.success).toBe(true);

    const all = lines.join('\n');
    expect(all).toMatch(/webhook created/);
    expect(all).toMatch(/webhook secret regenerated/);
    for (const secret of ['log-secret-created', 'log-secret-updated', regenerated.body.data.secret, TEST_API_KEY]) {
      expect(all).not.toContain(secret);
    }
  });

  it('answers an unexpected failure with a bare 500 envelope and logs it', async () => {
    const id = (await api.post('/webhooks', webhookBody(receiver.url, { is_active: false }))).body.data.id;
    const [deliveryId] = (await seedDeliveries(sequelize, id, [{ status: 'failed', createdAt: new Date() }])) as [string];
    lines.length = 0;
    // The attempts table vanishes for this one request (the list, which reads it too, needs it back after).
    await sequelize.getQueryInterface().renameTable('webhook_delivery_attempts', 'webhook_delivery_attempts_away');
    const res = await api.get(`/webhooks/${id}/deliveries/${deliveryId}`).finally(() =>
      sequelize.getQueryInterface().renameTable('webhook_delivery_attempts_away', 'webhook_delivery_attempts'),
    );
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ success: false, data: null, message: 'Internal server error' });
    expect(lines.join('\n')).toMatch(/webhooks API request failed/);
  });

  // Last: it locks this client address out of the app (for keys it does not hold).
  it('honours the failed-authentication limit it is given, and still lets the right key in', async () => {
    const bad = { headers: { authorization: 'Bearer not-the-key-0123456789' } };
    for (let i = 0; i < 3; i++) expect((await api.get('/webhooks', bad)).status).toBe(401);
    expect((await api.get('/webhooks', bad)).status).toBe(429);
    expect((await api.get('/webhooks')).status).toBe(200);
  });
});
