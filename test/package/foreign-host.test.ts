import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { projectRoot } from '../../src/server.js';
import { launchBrowser } from '../support/browser.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { buildAndPack, installOffline, prepareHost, type PackResult } from './install.js';

/**
 * The package as another project gets it: `npm pack`, then `npm install` of the tarball (offline)
 * into a folder holding examples/foreign-host, a chat server with its own express, Socket.IO,
 * Sequelize on MariaDB, tables, admin sign-in and session. Only what the tarball ships runs there.
 */
const PASSWORD = 'shop-admin-password-42';
const TOKEN = 'shop-api-token-0123456789abcdef';
const SECRET = 'whsec_shopsecret0123456789';

/** Every file under `dir`, relative paths. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe('the package installed into a foreign host', () => {
  let work: string;
  let hostDir: string;
  let pack: PackResult;
  let db: TestDatabase;
  let receiver: Receiver;
  let shop: ChildProcess;
  let shopLog = '';
  let base: string;
  let browser: Browser;
  let page: Page;
  let visitor: Socket;

  const received = (event: string) => receiver.requests.filter((r) => r.headers['x-webhook-event'] === event);
  async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`condition not met in time; shop output:\n${shopLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'foreign-host-'));
    hostDir = join(work, 'acme-shop');
    const stage = join(work, 'livechat-webhooks');
    mkdirSync(hostDir);
    mkdirSync(stage);
    [db, receiver, pack] = await Promise.all([createTestDatabase('mysql'), startReceiver(() => ({ body: 'ok' })), buildAndPack(stage, work)]);
    prepareHost(hostDir, join(projectRoot, 'examples', 'foreign-host'), pack.tarball);
    const seconds = await installOffline(hostDir, pack.tarball);
    console.info(`package: ${(pack.size / 1024).toFixed(1)} KiB, ${pack.files.length} files; offline install into the foreign host: ${seconds.toFixed(1)} s`);

    shop = spawn(process.execPath, ['server.mjs'], {
      cwd: hostDir,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        PORT: '0',
        SHOP_ADMIN_PASSWORD: PASSWORD,
        SHOP_API_TOKEN: TOKEN,
        DATA_DIR: join(work, 'data'),
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    shop.stdout!.on('data', (chunk: Buffer) => (shopLog += chunk));
    shop.stderr!.on('data', (chunk: Buffer) => (shopLog += chunk));
    const port = await eventually(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(shopLog)?.[1] ?? (shop.exitCode !== null ? 'exited' : undefined), 60_000);
    if (port === 'exited') throw new Error(`the shop exited:\n${shopLog}`);
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
    page = await (await browser.newContext()).newPage();
  }, 600_000);

  afterAll(async () => {
    visitor?.close();
    await browser?.close();
    if (shop && shop.exitCode === null) {
      const exited = new Promise((resolve) => shop.once('exit', resolve));
      shop.kill('SIGTERM');
      await exited;
    }
    await receiver?.close();
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('ships built JavaScript, plugin.json, migrations and the admin bundles, and needs no TypeScript to install', () => {
    const installed = join(hostDir, 'node_modules', 'livechat-webhooks');
    const files = filesUnder(installed);
    expect(files).toEqual(expect.arrayContaining(['plugin.json', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/webhooks/plugin.js', 'dist/src/webhooks/verify.js', 'dist/src/index.d.ts']));
    expect(files.filter((f) => f.startsWith('dist/migrations/') && f.endsWith('.js')).length).toBeGreaterThanOrEqual(7);
    expect(files).toEqual(expect.arrayContaining(['dist/webhooks-admin-assets/webhooks.js', 'dist/webhooks-admin-assets/webhooks.css', 'dist/webhooks-admin-assets/delivery.js']));
    // Sources, tests and benchmarks stay home; the only .ts files are declarations.
    expect(files.filter((f) => /^(src|test|bench|scripts|examples|migrations)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(existsSync(join(hostDir, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(hostDir, 'node_modules', 'esbuild'))).toBe(false);
    expect(pack.files).toEqual(expect.arrayContaining(files.filter((f) => f !== 'package.json')));
  });

  it('serves the plugin\'s REST API behind the host\'s own token', async () => {
    expect((await fetch(`${base}/api/v1/webhooks`)).status).toBe(401);
    expect((await fetch(`${base}/api/v1/webhooks`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const list = await api('GET', '/webhooks');
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ success: true, data: [] });
    const events = (await (await api('GET', '/webhooks/events')).json()) as { data: { event: string }[] };
    expect(events.data.map((e) => e.event)).toEqual(expect.arrayContaining(['conversation.started', 'message.received']));
    const bad = await api('POST', '/webhooks', { name: '', url: 'ftp://x', events: [] });
    expect(bad.status).toBe(422);
  });

  it('signs in to the host\'s own admin and creates a webhook on the plugin\'s page, in the host\'s layout', async () => {
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico') && problems.push(msg.text()));

    await page.goto(`${base}/dashboard/webhooks`);
    await page.waitForURL(`${base}/dashboard/login?next=%2Fdashboard%2Fwebhooks`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/dashboard/webhooks`);
    await page.getByText('No webhooks yet.').waitFor();
    // The shop's shell and navigation (its own entry, then what plugin.json declared), the plugin's page inside.
    const nav = page.getByRole('navigation', { name: 'Shop admin' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Chats', 'Webhooks']);
    expect(await nav.getByRole('link', { name: 'Webhooks' }).getAttribute('aria-current')).toBe('page');
    expect(await page.title()).toBe('Webhooks · Acme Shop');

    await page.getByRole('link', { name: 'Create webhook' }).first().click();
    await page.waitForURL(`${base}/dashboard/webhooks/new`);
    await page.getByLabel('Name').fill('Shop <b>orders</b>');
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Secret').fill(SECRET);
    for (const event of ['conversation.started', 'message.received']) await page.getByLabel(event).check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.waitForURL(`${base}/dashboard/webhooks`);
    await page.getByText('Shop <b>orders</b> created.').waitFor();
    const row = page.locator('#webhook-table tbody tr[data-webhook-id]');
    expect(await row.locator('a.strong').textContent()).toBe('Shop <b>orders</b>');
    expect(await page.locator('#webhook-table b').count()).toBe(0);
    // Strict CSP, no inline script: nothing was refused and nothing threw.
    expect(problems).toEqual([]);
  });

  it('delivers the host\'s own chat events, signed, to a receiver', async () => {
    visitor = io(base, { transports: ['websocket'] });
    const ack = await visitor.timeout(20_000).emitWithAck('shop:say', { name: 'Grace', text: 'Is the blue kettle in stock?', page: 'https://shop.example/kettles' });
    expect(ack).toMatchObject({ ok: true });
    const [started, message] = await eventually(() => {
      const s = received('conversation.started');
      const m = received('message.received');
      return s.length && m.length ? [s[0]!, m[0]!] : undefined;
    });
    expect(started!.json()).toMatchObject({ event: 'conversation.started', data: { conversation_id: ack.chat_id, visitor_name: 'Grace', current_url: 'https://shop.example/kettles', status: 'open' } });
    expect(message!.json()).toMatchObject({ event: 'message.received', data: { message_id: ack.message_id, content: 'Is the blue kettle in stock?', is_from_admin: false } });
    for (const request of [started!, message!]) {
      expect(request.headers['x-webhook-signature']).toBe(createHmac('sha256', SECRET).update(request.body).digest('hex'));
      // And as a receiver would, with the package's own verifier, from the installed copy.
      const { verifyWebhook } = (await import(pathToFileURL(join(hostDir, 'node_modules/livechat-webhooks/dist/src/webhooks/verify.js')).href)) as typeof import('../../src/webhooks/verify.js');
      expect(verifyWebhook(request.body, request.headers, SECRET)).toBe(true);
      expect(verifyWebhook(request.body, request.headers, 'whsec_wrong')).toBe(false);
    }
  });

  it('shows the delivery in the plugin\'s logs and redelivers it from the delivery page', async () => {
    const first = received('message.received')[0]!;
    const deliveryId = String(first.headers['x-webhook-delivery']);
    await page.locator('#webhook-table tbody tr[data-webhook-id]').getByRole('link', { name: /^Logs/ }).click();
    await page.waitForURL(/\/dashboard\/webhooks\/\d+\/deliveries$/);
    const row = page.locator(`tr[data-delivery-id="${deliveryId}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').first().textContent()).toBe('delivered');
    await row.locator('a').first().click();
    await page.waitForURL(new RegExp(`/dashboard/webhooks/\\d+/deliveries/${deliveryId}$`));
    await page.locator('.attempt[data-attempt="1"]').waitFor();
    expect(await page.locator('.attempt[data-attempt="1"] pre.response').textContent()).toBe('ok');

    const before = received('message.received').length;
    await page.getByRole('button', { name: 'Redeliver' }).click();
    const again = await eventually(() => received('message.received')[before]);
    expect(again.headers['x-webhook-delivery']).toBe(deliveryId);
    expect(again.body.equals(first.body)).toBe(true);
    expect(again.headers['x-webhook-signature']).toBe(createHmac('sha256', SECRET).update(again.body).digest('hex'));
    await page.locator('.attempt[data-attempt="2"]').waitFor();
  });

  it('keeps the host\'s pages and the plugin\'s writes behind the host\'s session and CSRF token', async () => {
    const statuses = await page.evaluate(async (url) => {
      const csrf = document.querySelector<HTMLElement>('[data-csrf-token]')!.dataset.csrfToken!;
      const post = (headers: Record<string, string>) =>
        fetch('/api/v1/webhooks', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ name: 'x', url, events: ['message.received'] }) }).then((r) => r.status);
      return { without: await post({}), forged: await post({ 'X-CSRF-Token': 'forged' }), with: await post({ 'X-CSRF-Token': csrf }) };
    }, receiver.url);
    expect(statuses).toEqual({ without: 403, forged: 403, with: 201 });
    const anonymous = await fetch(`${base}/dashboard/webhooks/1/edit`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Fwebhooks%2F1%2Fedit');
  });
});
