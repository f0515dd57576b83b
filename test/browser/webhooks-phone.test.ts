/// <reference lib="dom" />
// The webhooks plugin's pages on a 375 px phone, in Chromium against a real server and receivers:
// an admin creates a webhook through the form, a visitor's messages and Test clicks make
// deliveries, and every page (list with its health line, new and edit form, delivery logs with
// their chart, filters, find-by-id and recover form, a disabled webhook's logs, one delivery) must
// fit the screen with every action on it and pass axe-core with no finding of any impact. The same
// pages are checked with axe at desktop width too, where they are tables.
// UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/phone-webhook*.png and phone-deliver*.png (SQLite run).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { projectRoot } from '../../src/server.js';
import { launchBrowser } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { expectNoAxe, fitsPhone, PHONE } from '../support/phone.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { connectWidget, ok } from '../chat/clients.js';

const screenshots = join(projectRoot, 'docs/screenshots');
const DESKTOP = { width: 1280, height: 800 };
/** Each step drives Chromium through several pages on a shared 2-core machine. */
const SLOW = 90_000;

describe.each(dialects)('webhooks pages on a phone, on %s', (dialect) => {
  let t: TestServer;
  let receiver: Receiver;
  let gone: Receiver;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: Socket[] = [];
  const pageErrors: string[] = [];
  /** Every axe-core finding per page (impact:rule), printed at the end. */
  const axeResults: Record<string, string[]> = {};
  let phone: Page;
  let webhookId = 0;
  let goneId = 0;
  let deliveryId = '';

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  };

  async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function newPage(viewport: { width: number; height: number }): Promise<Page> {
    // bypassCSP lets addScriptTag inject axe-core; the pages' own scripts run the same either way.
    const context = await browser.newContext({ viewport, bypassCSP: true });
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${t.url}/admin/login`);
    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/admin/conversations`);
    return page;
  }

  async function axe(page: Page, name: string): Promise<void> {
    axeResults[name] = await expectNoAxe(page);
  }

  /** What every delivery logs page offers besides the log: each must be on a phone's screen. */
  const logsControls = ['#chart svg', '#chart-summary', '#event-filter', '#find-id', '#find-delivery button[type="submit"]', '#recover-since', '#recover-until', '#recover-submit'];

  async function chartDrawn(): Promise<void> {
    await phone.locator('#chart svg').waitFor();
    await phone.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!process.env.UPDATE_SCREENSHOTS || dialect !== 'sqlite') return;
    // A full-page shot of a scrolled page paints the sticky top bar mid-page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, `phone-${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, body: '{"received":true}', headers: { 'content-type': 'application/json' } }));
    gone = await startReceiver(() => ({ status: 410, body: 'this endpoint was removed' }));
    t = await startTestServer(dialect);
    browser = await launchBrowser();
    mkdirSync(screenshots, { recursive: true });
    phone = await newPage(PHONE);
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.stop();
    await receiver?.close();
    await gone?.close();
    console.log(`axe-core findings per webhooks page on ${dialect} (impact:rule): ${JSON.stringify(axeResults)}`);
  }, SLOW);

  it('creates a webhook through the form on a phone, errors included', async () => {
    await phone.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Webhooks' }).click();
    await phone.getByText('No webhooks yet.').waitFor();
    await fitsPhone(phone, ['.page-head a:has-text("Create webhook")', '#webhooks a:has-text("Create webhook")']);
    await axe(phone, 'webhooks (empty)');

    await phone.locator('.page-head').getByRole('link', { name: 'Create webhook' }).click();
    await phone.waitForURL(`${t.url}/admin/webhooks/new`);
    const form = ['#name', '#url', '#secret', '#generate-secret', '.check input[name="events"]', '#format', '#is_active', '#webhook-form .actions a', '#save'];
    await fitsPhone(phone, form);
    await axe(phone, 'webhook-form (new)');

    await phone.getByRole('button', { name: 'Create webhook' }).click();
    await phone.locator('#error-events').filter({ hasText: /at least one event/ }).waitFor();
    await fitsPhone(phone, form);
    await axe(phone, 'webhook-form (errors)');

    // A fresh form for the picture (the errors above clear on the next submit).
    await phone.reload();
    await phone.getByLabel('Name').fill('Support inbox on the team’s n8n');
    await phone.getByLabel('URL').fill(receiver.url);
    await phone.getByRole('button', { name: 'Generate' }).click();
    for (const event of ['conversation.started', 'message.received']) await phone.getByLabel(event).check();
    await fitsPhone(phone, form);
    await shot(phone, 'webhook-form');
    await phone.getByRole('button', { name: 'Create webhook' }).click();
    await phone.getByText('Support inbox on the team’s n8n created.').waitFor();
    webhookId = Number(await phone.locator('#webhook-table tbody tr[data-webhook-id]').getAttribute('data-webhook-id'));
    expect(webhookId).toBeGreaterThan(0);
  }, SLOW);

  it('gets deliveries from a visitor’s messages and Test clicks, and a webhook the server disables', async () => {
    goneId = (await api('POST', '/webhooks', { name: 'Legacy CRM', url: gone.url, events: ['message.received'] })).body.data.id;
    const { socket } = await connectWidget(t.url);
    sockets.push(socket);
    await ok(socket, 'conversation:start', { name: 'Vera Visitor', email: 'vera@example.com' });
    await ok(socket, 'message:send', { content: 'Hello, where is my order?' });
    await ok(socket, 'message:send', { content: 'It was #1042.' });
    // 3 chat deliveries and 24 tests: more than the 25 a logs page shows.
    for (let i = 0; i < 24; i++) expect((await api('POST', `/webhooks/${webhookId}/test`)).status).toBe(200);
    await receiver.waitFor(27, 30_000);
    await eventually(async () => ((await api('GET', `/webhooks/${goneId}`)).body.data.disabled_reason ? true : undefined));
    deliveryId = await eventually(async () => {
      const { body } = await api('GET', `/webhooks/${webhookId}/deliveries?per_page=100`);
      const message = (body.data as { event: string; status: string; delivery_id: string }[]).find((d) => d.event === 'message.received' && d.status === 'delivered');
      return message?.delivery_id;
    });
  }, SLOW);

  it('lists the webhooks on a phone: every action on screen, the disabled banner too', async () => {
    await phone.reload();
    await phone.locator(`tr[data-webhook-notice="${goneId}"]`).waitFor();
    await phone.locator(`tr[data-webhook-id="${goneId}"] .health-failing`).filter({ hasText: /✗ Failing since .* · \d+ failed deliver/ }).waitFor();
    await fitsPhone(phone, [
      '.page-head a:has-text("Create webhook")',
      '#webhook-table [role="switch"]',
      '#webhook-table .row-actions button:has-text("Test")',
      '#webhook-table .row-actions a:has-text("Logs")',
      '#webhook-table .row-actions a:has-text("Edit")',
      '#webhook-table .row-actions button:has-text("Delete")',
      '#webhook-table .health .health-recent',
      `tr[data-webhook-id="${goneId}"] .health-failing`,
      `tr[data-webhook-notice="${goneId}"] .alert`,
    ]);
    await axe(phone, 'webhooks');

    const row = phone.locator(`tr[data-webhook-id="${webhookId}"]`);
    await row.getByRole('button', { name: 'Test' }).click();
    await row.locator('.test-result').filter({ hasText: 'HTTP 200' }).waitFor();
    await fitsPhone(phone, [`tr[data-webhook-id="${webhookId}"] .test-result`]);
    await shot(phone, 'webhooks');

    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = phone.getByRole('dialog', { name: 'Delete webhook?' });
    await dialog.waitFor();
    await fitsPhone(phone, ['#confirm-delete button[value="cancel"]', '#confirm-delete-yes']);
    await axe(phone, 'webhooks (delete dialog)');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await api('GET', `/webhooks/${webhookId}`)).status).toBe(200);
  }, SLOW);

  it('shows the delivery logs on a phone, pages and filter included', async () => {
    await phone.locator(`tr[data-webhook-id="${webhookId}"]`).getByRole('link', { name: /^Logs/ }).click();
    await phone.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries`);
    await phone.locator('#delivery-table').waitFor();
    await phone.locator('#webhook-name').filter({ hasText: 'Support inbox' }).waitFor();
    expect(await phone.locator('#delivery-table tbody tr').count()).toBe(25);
    await chartDrawn();
    await fitsPhone(phone, ['.page-head a:has-text("Edit webhook")', '#status-filter', '#page-info', '#delivery-table tbody tr a', '#next-page', ...logsControls]);
    await axe(phone, 'delivery-logs');

    await phone.locator('#next-page').click();
    await phone.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries?page=2`);
    await phone.locator('#prev-page').waitFor();
    await chartDrawn();
    await fitsPhone(phone, ['#prev-page', '#delivery-table tbody tr a', ...logsControls]);
    await axe(phone, 'delivery-logs (page 2)');
    // Page 2 holds the chat's deliveries and the pager back: a shorter, more telling picture.
    await shot(phone, 'delivery-logs');

    await phone.getByLabel('Status').selectOption('failed');
    await phone.getByText('No failed deliveries.').waitFor();
    await fitsPhone(phone, ['#status-filter']);
    await axe(phone, 'delivery-logs (none)');

    await phone.getByLabel('Status').selectOption('');
    await phone.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries`);
    await phone.getByLabel('Event').selectOption('message.received');
    await phone.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries?event=message.received`);
    await phone.locator('#page-info').filter({ hasText: '2 deliveries' }).waitFor();
    await chartDrawn();
    await fitsPhone(phone, ['#event-filter', '#delivery-table tbody tr a', ...logsControls]);
    await axe(phone, 'delivery-logs (event filter)');

    // Find by id: a wrong one is said beside the field, a real one opens its delivery.
    await phone.getByLabel('Delivery ID').fill('not-an-id');
    await phone.getByRole('button', { name: 'Find' }).click();
    await phone.locator('#find-error').filter({ hasText: 'Enter a delivery ID' }).waitFor();
    await fitsPhone(phone, ['#find-id', '#find-delivery button[type="submit"]', '#find-error']);
    await axe(phone, 'delivery-logs (find error)');
    await phone.getByLabel('Delivery ID').fill(deliveryId);
    await phone.getByRole('button', { name: 'Find' }).click();
    await phone.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries/${deliveryId}`);
  }, SLOW);

  it('shows a disabled webhook’s logs on a phone: the banner, Enable, the failing chart and recover', async () => {
    await phone.goto(`${t.url}/admin/webhooks/${goneId}/deliveries`);
    const banner = phone.locator('#webhook-state .alert[data-state="disabled"]');
    await banner.filter({ hasText: 'Disabled automatically' }).waitFor();
    await phone.locator('#delivery-table').waitFor();
    await chartDrawn();
    await fitsPhone(phone, ['#webhook-state .alert', '#enable-webhook', ...logsControls]);
    await axe(phone, 'delivery-logs (disabled)');

    // Recover with the default window (the last 24 hours): its failed deliveries are queued again, held while it is disabled.
    await phone.getByRole('button', { name: 'Queue failed deliveries again' }).click();
    await phone.locator('#flash').filter({ hasText: /failed deliver(y|ies) queued again/ }).waitFor();
    await fitsPhone(phone, ['#flash', '#recover-submit']);

    await phone.getByRole('button', { name: 'Enable webhook' }).click();
    await phone.locator('#flash').filter({ hasText: 'Legacy CRM enabled' }).waitFor();
    await banner.waitFor({ state: 'detached' });
    await fitsPhone(phone, ['#flash', ...logsControls]);
    await axe(phone, 'delivery-logs (enabled again)');
  }, SLOW);

  it('shows one delivery on a phone: facts, body, attempts, curl and Redeliver', async () => {
    await phone.goto(`${t.url}/admin/webhooks/${webhookId}/deliveries/${deliveryId}`);
    const attempt = phone.locator('.attempt[data-attempt="1"]');
    await attempt.waitFor();
    await fitsPhone(phone, ['#copy-curl', '#redeliver', '.crumbs a', '.attempt .headers', '#delivery-body']);
    await axe(phone, 'delivery');

    await phone.getByRole('button', { name: 'Copy as curl' }).click();
    await phone.locator('#curl-box').waitFor();
    expect(await phone.getByLabel('curl command').inputValue()).toContain(`x-webhook-delivery: ${deliveryId}`);
    await phone.getByRole('button', { name: 'Redeliver' }).click();
    await phone.locator('.attempt[data-attempt="2"]').waitFor();
    await fitsPhone(phone, ['#copy-curl', '#redeliver', '#curl']);
    await axe(phone, 'delivery (redelivered, curl)');
    await shot(phone, 'delivery');

    // A failed delivery: the error under the attempt, a long response line.
    const failed = await eventually(async () => {
      const { body } = await api('GET', `/webhooks/${goneId}/deliveries?status=failed`);
      return (body.data as { delivery_id: string }[])[0]?.delivery_id;
    });
    await phone.goto(`${t.url}/admin/webhooks/${goneId}/deliveries/${failed}`);
    await phone.locator('.attempt[data-attempt="1"]').waitFor();
    await fitsPhone(phone, ['#copy-curl', '#redeliver']);
    await axe(phone, 'delivery (failed)');
  }, SLOW);

  it('edits a webhook on a phone, regenerating its secret', async () => {
    await phone.goto(`${t.url}/admin/webhooks/${webhookId}/edit`);
    await phone.waitForFunction(() => (document.getElementById('name') as HTMLInputElement).value !== '');
    await fitsPhone(phone, ['#name', '#url', '#secret', '#generate-secret', '#old-secret-for', '#regenerate-secret', '#format', '#save']);
    await axe(phone, 'webhook-form (edit)');
    await phone.getByRole('button', { name: 'Regenerate secret' }).click();
    await phone.locator('#new-secret-box').waitFor();
    await fitsPhone(phone, ['#new-secret', '#copy-new-secret']);
    await axe(phone, 'webhook-form (new secret)');
    expect(pageErrors).toEqual([]);
  }, SLOW);

  it('passes axe-core on every webhooks page at desktop width too', async () => {
    const desk = await newPage(DESKTOP);
    const pages: [string, string, string][] = [
      ['webhooks (desktop)', '/admin/webhooks', '#webhook-table'],
      ['webhook-form (desktop)', '/admin/webhooks/new', '#webhook-form'],
      ['webhook-form edit (desktop)', `/admin/webhooks/${webhookId}/edit`, '#rotate-secret'],
      ['delivery-logs (desktop)', `/admin/webhooks/${webhookId}/deliveries`, '#delivery-table'],
      ['delivery (desktop)', `/admin/webhooks/${webhookId}/deliveries/${deliveryId}`, '.attempt'],
    ];
    for (const [name, path, ready] of pages) {
      await desk.goto(`${t.url}${path}`);
      await desk.locator(ready).first().waitFor();
      await desk.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
      // The table layout stays: no card styles leak onto a wide screen.
      if (name.startsWith('webhooks ')) expect(await desk.locator('#webhook-table thead').isVisible()).toBe(true);
      await axe(desk, name);
    }
    expect(pageErrors).toEqual([]);
  }, SLOW);
});
