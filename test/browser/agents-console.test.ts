/// <reference lib="dom" />
// A team in Chromium: an admin adds two agents on the Agents page, each signs in in a browser
// context of their own (one on a phone), both answer the same visitor, and the webhook receiver
// gets each one's name. An agent cannot open the Webhooks pages or API; the tab title counts
// unread conversations, and the badges survive a reload. Every host page is checked at 375 px
// (no horizontal scroll, actions on screen) and with axe-core. Runs on SQLite and MariaDB;
// UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/phone-*.png (SQLite run).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { projectRoot } from '../../src/server.js';
import { launchBrowser, signInToConsole, type ConsoleCredentials } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { expectNoAxe, fitsPhone, PHONE } from '../support/phone.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { connectWidget, next, ok } from '../chat/clients.js';

const screenshots = join(projectRoot, 'docs/screenshots');

describe.each(dialects)('a team of agents in Chromium, on %s', (dialect) => {
  let t: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: Socket[] = [];
  const pageErrors: string[] = [];
  /** axe-core's serious and critical findings per page, for the report at the end. */
  const axeResults: Record<string, string[]> = {};

  async function newPage(viewport: { width: number; height: number }): Promise<Page> {
    // bypassCSP lets addScriptTag inject axe-core; the pages' own scripts are the same either way.
    const context = await browser.newContext({ viewport, bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('dialog', (d) => void d.dismiss());
    return page;
  }

  const signIn = (page: Page, fields: ConsoleCredentials) => signInToConsole(page, t.url, fields);

  /** axe-core on the page: fails on any serious or critical finding, keeps every finding for the report. */
  async function axe(page: Page, name: string): Promise<void> {
    axeResults[name] = await expectNoAxe(page);
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (!process.env.UPDATE_SCREENSHOTS || dialect !== 'sqlite') return;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(screenshots, `phone-${name}.png`), fullPage: true });
  }

  let admin: Page;
  let ana: Page;
  let ben: Page;
  let visitor: Socket;
  let conversationId = 0;

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200 }));
    t = await startTestServer(dialect);
    const hook = await fetch(`${t.url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'team', url: receiver.url, events: ['message.sent'] }),
    });
    expect(hook.status).toBe(201);
    browser = await launchBrowser();
    mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.stop();
    await receiver?.close();
    console.log(`axe-core findings per page on ${dialect} (impact:rule): ${JSON.stringify(axeResults)}`);
  });

  it('shows the sign-in page on a phone: both ways in, nothing off-screen, no serious axe finding', async () => {
    const page = await newPage(PHONE);
    await page.goto(`${t.url}/admin/login`);
    await fitsPhone(page, ['#email', '#password', '#api_key', 'button[type="submit"]']);
    await axe(page, 'sign-in');
    await shot(page, 'sign-in');
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That email and password do not match an account.').waitFor();
    await fitsPhone(page);
    await axe(page, 'sign-in (error)');
  });

  it('lets an admin add two agents on the Agents page, on a phone', async () => {
    admin = await newPage(PHONE);
    await signIn(admin, { apiKey: TEST_API_KEY });
    await admin.getByRole('link', { name: 'Agents' }).click();
    await admin.waitForURL(`${t.url}/admin/agents`);
    for (const [name, email, role] of [['Ana Lima', 'ana@example.com', 'Agent'], ['Ben Souza', 'ben@example.com', 'Agent']] as const) {
      await admin.getByLabel('Name (shown to visitors)').fill(name);
      await admin.getByLabel('Email (signs in with it)').fill(email);
      await admin.getByLabel(/^Password/).fill(`${name} has a long password`);
      await admin.getByRole('radio', { name: new RegExp(role) }).check();
      await admin.getByRole('button', { name: 'Add agent' }).click();
      await admin.getByText('Agent added. They can sign in now.').waitFor();
    }
    expect(await admin.locator('.agent-row .strong').allTextContents()).toEqual(['Ana Lima', 'Ben Souza']);
    await fitsPhone(admin, ['.agent-row .agent-remove button', 'button:has-text("Add agent")']);
    await axe(admin, 'agents');
    await shot(admin, 'agents');
    // A bad form stays usable on a phone too.
    await admin.getByRole('button', { name: 'Add agent' }).click();
    await admin.getByText('Enter a name.').waitFor();
    await fitsPhone(admin);
    await axe(admin, 'agents (errors)');
  });

  it('lets two agents in two browsers answer the same visitor, each under their own name, to the webhook too', async () => {
    ana = await newPage(PHONE);
    ben = await newPage({ width: 1280, height: 800 });
    await signIn(ana, { email: 'ana@example.com', password: 'Ana Lima has a long password' });
    await signIn(ben, { email: 'ben@example.com', password: 'Ben Souza has a long password' });
    expect(await ana.locator('#answering-as').innerText()).toBe('You answer as Ana Lima.');
    expect(await ana.getByText('Reply as').count()).toBe(0);

    const baseTitle = await ben.title();
    const w = await connectWidget(t.url);
    visitor = w.socket;
    sockets.push(visitor);
    await ok(visitor, 'conversation:start', { name: 'Vera Visitor', email: 'vera@example.com' });
    const started = await ok(visitor, 'message:send', { content: 'Is anyone there?' });
    conversationId = started.conversation_id as number;

    // The title counts the unread conversation in both consoles.
    await ben.waitForFunction((title) => document.title === `(1) ${title}`, baseTitle);
    await ana.waitForFunction(() => document.title.startsWith('(1) '));
    const item = (page: Page) => page.locator(`.conv-item[data-conversation-id="${conversationId}"]`);
    expect(await item(ben).locator('.unread-badge').innerText()).toBe('New');

    await item(ana).click();
    await ana.locator('#messages .from-visitor').waitFor();
    await fitsPhone(ana, ['#reply', '#reply-form button[type="submit"]', '#close-conversation']);
    await ana.getByRole('textbox', { name: 'Reply', exact: true }).fill('Hi Vera, Ana here.');
    const toVisitor = next<{ admin_name: string | null; content: string }>(visitor, 'message', (m) => m.content === 'Hi Vera, Ana here.');
    await ana.getByRole('button', { name: 'Send' }).click();
    expect((await toVisitor).admin_name).toBe('Ana Lima');
    await ana.waitForFunction(() => !document.title.startsWith('('));

    await item(ben).click();
    await ben.locator('#messages .from-agent .meta').filter({ hasText: 'Ana Lima' }).waitFor();
    await ben.waitForFunction((title) => document.title === title, baseTitle);
    await ben.getByRole('textbox', { name: 'Reply', exact: true }).fill('And Ben, from billing.');
    await ben.getByRole('textbox', { name: 'Reply', exact: true }).press('Enter');
    // Each console shows who answered.
    await ana.locator('#messages .from-agent .meta').filter({ hasText: 'Ben Souza' }).waitFor();
    expect(await ana.locator('#messages .from-agent .meta').allInnerTexts()).toEqual([expect.stringMatching(/^Ana Lima · /), expect.stringMatching(/^Ben Souza · /)]);

    const sent = (await receiver.waitFor(2, 15_000)).map((r) => r.json<{ event: string; data: { admin_name: string; content: string } }>());
    expect(sent.map((b) => [b.event, b.data.content, b.data.admin_name])).toEqual([
      ['message.sent', 'Hi Vera, Ana here.', 'Ana Lima'],
      ['message.sent', 'And Ben, from billing.', 'Ben Souza'],
    ]);
    await axe(ana, 'conversations');
    await shot(ana, 'conversations');
  });

  it('keeps unread badges and the title count across a reload, until the agent opens the conversation', async () => {
    await ben.reload();
    await ben.locator('#connection[data-state="live"]').waitFor();
    const baseTitle = await ben.title();
    const other = await connectWidget(t.url);
    sockets.push(other.socket);
    await ok(other.socket, 'conversation:start', { name: 'Walter' });
    const second = (await ok(other.socket, 'message:send', { content: 'Question about my invoice' })).conversation_id as number;
    const item = ben.locator(`.conv-item[data-conversation-id="${second}"]`);
    await item.locator('.unread-badge').waitFor();
    await ben.waitForFunction((title) => document.title === `(1) ${title}`, baseTitle);

    await ben.reload();
    await item.locator('.unread-badge').waitFor();
    await ben.waitForFunction((title) => document.title === `(1) ${title}`, baseTitle);
    expect(await ben.locator(`.conv-item[data-conversation-id="${conversationId}"] .unread-badge`).count()).toBe(0);

    await item.click();
    await ben.waitForFunction((title) => document.title === title, baseTitle);
    await ben.reload();
    await item.waitFor();
    expect(await item.locator('.unread-badge').count()).toBe(0);
    expect(await ben.title()).toBe(baseTitle);
  });

  it('finds a conversation by message text and shows the visitor’s earlier conversations', async () => {
    await ok(visitor, 'message:send', { content: 'Thanks, bye' });
    const machine = await import('../chat/clients.js').then((c) => c.connectAgent(t.url, { apiKey: TEST_API_KEY }));
    sockets.push(machine);
    await ok(machine, 'conversation:close', { conversation_id: conversationId });
    const again = (await ok(visitor, 'message:send', { content: 'Me again, about the refund' })).conversation_id as number;
    expect(again).not.toBe(conversationId);

    await ana.getByRole('searchbox', { name: 'Search conversations' }).fill('invoi');
    await ana.locator('#search-head').filter({ hasText: '1 result for “invoi”' }).waitFor();
    expect(await ana.locator('#conversation-list .conv-name').allTextContents()).toEqual(['Walter']);
    await ana.getByRole('button', { name: 'Clear' }).click();
    await ana.locator(`#conversation-list .conv-item[data-conversation-id="${again}"]`).click();
    const history = ana.locator('#visitor-history');
    await history.locator('summary').filter({ hasText: '(1)' }).waitFor();
    await ana.locator(`#history-list .conv-item[data-conversation-id="${conversationId}"]`).click();
    await ana.locator('#messages .bubble').filter({ hasText: 'Is anyone there?' }).waitFor();
    await fitsPhone(ana);
    await axe(ana, 'conversations (history)');
  });

  it('keeps an agent out of the Webhooks pages and API, with a page that says so', async () => {
    expect(await ben.getByRole('navigation', { name: 'Admin' }).innerText()).not.toMatch(/Webhooks|Agents/);
    const res = await ben.goto(`${t.url}/admin/webhooks`);
    expect(res!.status()).toBe(403);
    await ben.getByRole('heading', { name: 'Admins only' }).waitFor();
    const api = await ben.evaluate(async () => (await fetch('/api/v1/webhooks')).status);
    expect(api).toBe(403);
    const phone = await newPage(PHONE);
    await signIn(phone, { email: 'ben@example.com', password: 'Ben Souza has a long password' });
    await phone.goto(`${t.url}/admin/agents`);
    await phone.getByRole('heading', { name: 'Admins only' }).waitFor();
    await fitsPhone(phone, ['a:has-text("Go to Conversations")']);
    await axe(phone, 'admins-only');
    await shot(phone, 'admins-only');
    await phone.goto(`${t.url}/admin/conversations`);
    await phone.locator('#connection[data-state="live"]').waitFor();
    await fitsPhone(phone, ['#search', '#sound-toggle', '#desktop-toggle']);
    await axe(phone, 'conversations (list)');
    await shot(phone, 'conversations-list');
    expect(pageErrors).toEqual([]);
  });
});
