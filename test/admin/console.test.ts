/// <reference lib="dom" />
// The admin console end to end: Chromium signs in, creates a webhook through the form, a visitor
// chats from /demo, the agent answers from Conversations, the delivery shows in the logs and is
// redelivered. Real server, real database, real receiver. UPDATE_SCREENSHOTS=1 refreshes docs/screenshots.
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../src/server.js';
import { launchBrowser } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { startReceiver, type Receiver, type ReceivedRequest } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

const screenshots = join(projectRoot, 'docs/screenshots');
const XSS = '<img src=x onerror=alert(1)>';

describe.each(dialects)('admin console on %s', (dialect) => {
  let t: TestServer;
  let receiver: Receiver;
  let gone: Receiver;
  let goneId = 0;
  let browser: Browser;
  let adminContext: BrowserContext;
  let visitorContext: BrowserContext;
  let admin: Page;
  let visitor: Page;
  let secret = '';
  let webhookId = 0;
  let conversationId = 0;
  const pageErrors: string[] = [];
  let alerted = false;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as any) };
  };
  /** The receiver's requests for one event, oldest first. */
  const received = (event: string) => receiver.requests.filter((r) => r.headers['x-webhook-event'] === event);
  async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const shot = async (page: Page, name: string) => {
    if (dialect !== 'sqlite' || !process.env.UPDATE_SCREENSHOTS) return;
    // A full-page shot of a scrolled page paints the sticky top bar mid-page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  };
  const watch = (page: Page) => {
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
    });
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
  };

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'thanks' }));
    gone = await startReceiver(() => ({ status: 410, body: 'this endpoint was removed' }));
    t = await startTestServer(dialect);
    browser = await launchBrowser();
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    visitorContext = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    admin = await adminContext.newPage();
    visitor = await visitorContext.newPage();
    watch(admin);
    watch(visitor);
    mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await adminContext?.close();
    await visitorContext?.close();
    await browser?.close();
    await t?.stop();
    await receiver?.close();
    await gone?.close();
  });

  it('sends every page to the sign-in page without a session', async () => {
    await admin.goto(`${t.url}/admin/webhooks/new`);
    expect(new URL(admin.url()).pathname).toBe('/admin/login');
    await admin.goto(`${t.url}/admin/conversations`);
    expect(admin.url()).toBe(`${t.url}/admin/login?next=%2Fadmin%2Fconversations`);
  });

  it('refuses a wrong key, then signs in once and lands where it was going', async () => {
    await admin.goto(`${t.url}/admin/webhooks`);
    await admin.getByLabel('API key').fill('not-the-key-0123456789abcdef');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('That API key is not valid.').waitFor();
    await admin.getByLabel('API key').fill(TEST_API_KEY);
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.waitForURL(`${t.url}/admin/webhooks`);
    await admin.getByText('No webhooks yet.').waitFor();
    const nav = admin.getByRole('navigation', { name: 'Admin' });
    expect(await nav.innerText()).toMatch(/Live Chat\s+Conversations\s+Webhooks/i);
    const [cookie] = await adminContext.cookies();
    expect(cookie).toMatchObject({ name: 'lc_session', httpOnly: true, sameSite: 'Strict' });
  });

  it('shows the server’s validation errors beside the fields', async () => {
    await admin.getByRole('link', { name: 'Create webhook' }).first().click();
    await admin.waitForURL(`${t.url}/admin/webhooks/new`);
    await admin.getByLabel('Name').fill('Support inbox');
    await admin.getByLabel('URL').fill('ftp://example.com/hook');
    await admin.getByRole('button', { name: 'Generate' }).click();
    await admin.getByRole('button', { name: 'Create webhook' }).click();
    const urlError = admin.locator('#error-url');
    await urlError.filter({ hasText: /\S/ }).waitFor();
    expect(await admin.locator('#error-events').innerText()).toMatch(/at least one event/);
    expect(await admin.locator('#error-name').innerText()).toBe('');
    expect(await admin.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('url');
    expect(admin.url()).toBe(`${t.url}/admin/webhooks/new`);
    await shot(admin, 'webhook-form');
  });

  it('creates a webhook through the form, pointing to a local receiver', async () => {
    await admin.getByLabel('Name').fill(`Support inbox ${XSS}`);
    await admin.getByLabel('URL').fill(receiver.url);
    secret = await admin.getByLabel(/Secret/).inputValue();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    for (const event of ['conversation.started', 'message.received', 'message.sent']) await admin.getByLabel(event).check();
    await admin.getByRole('button', { name: 'Create webhook' }).click();
    await admin.waitForURL(`${t.url}/admin/webhooks`);
    await admin.getByText(`Support inbox ${XSS} created.`).waitFor();
    const row = admin.locator('#webhook-table tbody tr[data-webhook-id]');
    // The flash shows at once; the list is drawn when its request answers.
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('a.strong').textContent()).toBe(`Support inbox ${XSS}`);
    webhookId = Number(await row.getAttribute('data-webhook-id'));

    const { body } = await api('GET', `/webhooks/${webhookId}`);
    expect(body.data).toMatchObject({ url: receiver.url, has_secret: true, is_active: true, format: 'json' });
    expect([...body.data.events].sort()).toEqual(['conversation.started', 'message.received', 'message.sent']);
  });

  it('shows a visitor’s conversation live, delivers message.received, and carries the agent’s reply back', async () => {
    // A second webhook whose receiver answers 410 Gone: the server disables it by itself.
    goneId = (await api('POST', '/webhooks', { name: 'Legacy CRM', url: gone.url, events: ['message.received'] })).body.data.id;
    await admin.getByRole('link', { name: 'Conversations' }).click();
    await admin.locator('#connection[data-state="live"]').waitFor();

    await visitor.goto(`${t.url}/demo`);
    await visitor.getByRole('button', { name: /^Acme Support/ }).click();
    await visitor.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
    await visitor.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');
    await visitor.getByRole('button', { name: 'Start chat' }).click();
    const input = visitor.getByRole('textbox', { name: 'Message' });
    await input.fill('Hello! Where is my order #1042?');
    await input.press('Enter');
    await input.fill(XSS);
    await input.press('Enter');

    // The receiver gets message.received, signed with the secret the form generated.
    const delivered = await eventually(() => (received('message.received').length === 2 ? received('message.received') : undefined));
    const first = delivered[0]!;
    expect(first.headers['x-webhook-signature']).toBe(createHmac('sha256', secret).update(first.body).digest('hex'));
    expect(first.json()).toMatchObject({ event: 'message.received', data: { content: 'Hello! Where is my order #1042?', visitor_name: 'Ada Lovelace' } });
    expect(delivered[1]!.json().data.content).toBe(XSS);
    conversationId = first.json().data.conversation_id;

    // The conversation arrived over the socket without a reload.
    const item = admin.locator(`.conv-item[data-conversation-id="${conversationId}"]`);
    await item.waitFor();
    expect(await item.locator('.conv-name').textContent()).toBe('Ada Lovelace');
    await item.click();
    await admin.locator('#messages .msg').nth(1).waitFor();
    expect(await admin.locator('#messages .bubble').allTextContents()).toEqual(['Hello! Where is my order #1042?', XSS]);
    expect(await admin.locator('#visitor-details').innerText()).toContain('ada@example.com');
    expect(await admin.locator('#visitor-page').innerText()).toContain('/demo');

    // Signed in with the API key: no agent account, so the reply carries no name (SPEC §4).
    expect(await admin.locator('#answering-as').innerText()).toMatch(/Signed in with an API key/);
    await admin.getByRole('textbox', { name: 'Reply', exact: true }).fill('Hi Ada, it left our warehouse this morning.');
    await admin.getByRole('textbox', { name: 'Reply', exact: true }).press('Enter');
    await admin.locator('#messages .from-agent .bubble').filter({ hasText: 'it left our warehouse' }).waitFor();
    await visitor.getByRole('log', { name: 'Messages' }).getByText('Hi Ada, it left our warehouse this morning.').waitFor();
    const sent = await eventually(() => received('message.sent')[0]);
    expect(sent.json().data).toMatchObject({ is_from_admin: true, admin_name: null, conversation_id: conversationId });

    // A later visitor message is pushed into the open conversation.
    await input.fill('Thank you!');
    await input.press('Enter');
    await admin.locator('#messages .from-visitor .bubble').filter({ hasText: 'Thank you!' }).waitFor();
    await shot(admin, 'agent-console');
    // By now the 410 Gone receiver has had its message.received and the server disabled that webhook.
    await eventually(async () => ((await api('GET', `/webhooks/${goneId}`)).body.data.is_active === false ? true : undefined));
    // Deliveries are asynchronous (in thread mode the row itself is written just after the commit):
    // the next page shows "Thank you!" delivered once the receiver has it and the attempt is recorded.
    await eventually(() => (received('message.received').some((r) => r.json().data.content === 'Thank you!') ? true : undefined));
    await eventually(async () => ((await api('GET', `/webhooks/${webhookId}`)).body.data.last_delivery?.status === 'delivered' ? true : undefined));
  });

  it('renders the XSS payload as text everywhere, with no alert and no CSP violation', async () => {
    expect(await admin.locator('#messages img').count()).toBe(0);
    expect(await admin.locator('.conv-excerpt').first().textContent()).toContain('Thank you!');
    await admin.goto(`${t.url}/admin/webhooks`);
    await admin.locator('#webhook-table').waitFor();
    expect(await admin.locator('#webhook-table img').count()).toBe(0);
    expect(alerted).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('lists the webhooks with their last delivery, and a banner on one the server disabled', async () => {
    const row = admin.locator(`tr[data-webhook-id="${webhookId}"]`);
    expect(await row.locator('.badge').textContent()).toBe('delivered');
    const disabled = admin.locator(`tr[data-webhook-id="${goneId}"]`);
    // Its first delivery failed with 410; later ones may be held as pending while it is off.
    expect(['failed', 'pending']).toContain(await disabled.locator('.badge').textContent());
    expect(await disabled.getByRole('switch').isChecked()).toBe(false);
    const { body } = await api('GET', `/webhooks/${goneId}`);
    expect(body.data.disabled_reason).toBeTruthy();
    const banner = admin.locator(`tr[data-webhook-notice="${goneId}"]`);
    expect(await banner.innerText()).toContain('Disabled automatically');
    expect(await banner.innerText()).toContain(body.data.disabled_reason);
  });

  it('toggles a webhook in place', async () => {

    const toggle = admin.getByRole('switch', { name: `Enabled: Support inbox ${XSS}` });
    await toggle.click();
    await admin.getByText(`Support inbox ${XSS} disabled.`).waitFor();
    expect((await api('GET', `/webhooks/${webhookId}`)).body.data.is_active).toBe(false);
    await admin.getByRole('switch', { name: `Enabled: Support inbox ${XSS}` }).click();
    await admin.getByText(`Support inbox ${XSS} enabled.`).waitFor();
    expect((await api('GET', `/webhooks/${webhookId}`)).body.data.is_active).toBe(true);
    expect(admin.url()).toBe(`${t.url}/admin/webhooks`);
  });

  it('tests a webhook and shows the receiver’s status code and time', async () => {
    const before = received('webhook.test').length;
    await admin.locator(`tr[data-webhook-id="${webhookId}"]`).getByRole('button', { name: 'Test' }).click();
    const result = admin.locator(`tr[data-webhook-id="${webhookId}"] .test-result`);
    await result.filter({ hasText: 'HTTP 200' }).waitFor();
    expect(await result.innerText()).toMatch(/^Test: ✓ HTTP 200 in \d+ ms$/);
    expect(received('webhook.test')).toHaveLength(before + 1);
  });

  it('shows the delivery in the logs, filters and opens it, copies it as curl and redelivers it', async () => {
    await admin.locator(`tr[data-webhook-id="${webhookId}"]`).getByRole('link', { name: /^Logs/ }).click();
    await admin.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries`);
    await admin.locator('#delivery-table').waitFor();
    expect(await admin.locator('#webhook-name').textContent()).toBe(`Support inbox ${XSS}`);
    const events = await admin.locator('#delivery-table tbody tr td:nth-child(2) a').allTextContents();
    expect(events.filter((e) => e === 'message.received')).toHaveLength(3);

    await admin.getByLabel('Status').selectOption('failed');
    await admin.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries?status=failed`);
    await admin.getByText('No failed deliveries.').waitFor();
    await admin.getByLabel('Status').selectOption('delivered');
    await admin.locator('#delivery-table').waitFor();

    const firstMessage = received('message.received')[0]!;
    const deliveryId = String(firstMessage.headers['x-webhook-delivery']);
    await admin.locator(`tr[data-delivery-id="${deliveryId}"] a`).first().click();
    await admin.waitForURL(`${t.url}/admin/webhooks/${webhookId}/deliveries/${deliveryId}`);
    const attempt = admin.locator('.attempt[data-attempt="1"]');
    await attempt.waitFor();
    expect(await attempt.locator('.attempt-head .badge').textContent()).toBe('HTTP 200');
    expect(await attempt.locator('.headers').innerText()).toContain(deliveryId);
    expect(await attempt.locator('pre.response').textContent()).toBe('thanks');
    expect(JSON.parse(await admin.locator('#delivery-body').innerText())).toEqual(firstMessage.json());

    await admin.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await admin.getByLabel('curl command').inputValue();
    expect(curl).toContain(`curl -X POST '${receiver.url}'`);
    expect(curl).toContain(`x-webhook-delivery: ${deliveryId}`);
    expect(curl).toContain(`--data-binary '${firstMessage.text().replace(/'/g, `'\\''`)}'`);

    const again = received('message.received').length;
    await admin.getByRole('button', { name: 'Redeliver' }).click();
    const redelivered = await eventually(() => received('message.received')[again]);
    expect(redelivered.headers['x-webhook-delivery']).toBe(deliveryId);
    expect(redelivered.body.equals(firstMessage.body)).toBe(true);
    await admin.locator('.attempt[data-attempt="2"]').waitFor();
    await shot(admin, 'delivery-detail');
  });

  it('refuses a state-changing API call from the browser without the CSRF token', async () => {
    const statuses = await admin.evaluate(async (url) => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const body = JSON.stringify({ name: 'sneaky', url, events: ['message.received'] });
      const post = (headers: Record<string, string>) => fetch('/api/v1/webhooks', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body }).then((r) => r.status);
      return { without: await post({}), forged: await post({ 'X-CSRF-Token': 'x'.repeat(43) }), read: (await fetch('/api/v1/webhooks')).status, with: await post({ 'X-CSRF-Token': csrf }) };
    }, receiver.url);
    expect(statuses).toEqual({ without: 403, forged: 403, read: 200, with: 201 });
  });

  it('deletes a webhook only after confirmation', async () => {
    await admin.goto(`${t.url}/admin/webhooks`);
    const row = admin.locator('tr[data-webhook-id]').filter({ hasText: 'sneaky' });
    const id = Number(await row.getAttribute('data-webhook-id'));
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Delete webhook?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api('GET', `/webhooks/${id}`)).status).toBe(200);
    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await admin.getByText('sneaky deleted, with its delivery logs.').waitFor();
    expect(await admin.locator('tr[data-webhook-id]').count()).toBe(2);
    expect(await row.count()).toBe(0);
    expect((await api('GET', `/webhooks/${id}`)).status).toBe(404);
  });

  it('edits a webhook, keeping its secret when the field is left blank', async () => {
    await admin.locator(`tr[data-webhook-id="${webhookId}"]`).getByRole('link', { name: 'Edit' }).click();
    await admin.waitForURL(`${t.url}/admin/webhooks/${webhookId}/edit`);
    await admin.getByText('A secret is set and requests are signed.', { exact: false }).waitFor();
    expect(await admin.getByLabel('Name').inputValue()).toBe(`Support inbox ${XSS}`);
    expect(await admin.getByLabel('message.sent').isChecked()).toBe(true);
    await admin.getByLabel('Name').fill('Support inbox');
    await admin.getByLabel('conversation.closed').check();
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText('Support inbox saved.').waitFor();
    await shot(admin, 'webhooks-list');
    const { body } = await api('GET', `/webhooks/${webhookId}`);
    expect(body.data).toMatchObject({ name: 'Support inbox', has_secret: true });
    expect(body.data.events).toContain('conversation.closed');
  });

  it('closes the conversation from the console', async () => {
    await admin.goto(`${t.url}/admin/conversations`);
    await admin.locator(`.conv-item[data-conversation-id="${conversationId}"]`).click();
    await admin.getByRole('button', { name: 'Close conversation' }).click();
    await admin.locator('.conv-head .badge').filter({ hasText: 'closed' }).waitFor();
    expect(await admin.getByRole('textbox', { name: 'Reply', exact: true }).isDisabled()).toBe(true);
    await eventually(() => received('conversation.closed')[0]);
  });

  it('signs out, after which pages go back to the sign-in page', async () => {
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.waitForURL(`${t.url}/admin/login`);
    await admin.goto(`${t.url}/admin/webhooks`);
    expect(new URL(admin.url()).pathname).toBe('/admin/login');
    expect(pageErrors).toEqual([]);
    expect(alerted).toBe(false);
  });
});
