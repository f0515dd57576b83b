// The visitor widget end to end: Chromium on /demo, a real server, an agent on /agent.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { projectRoot } from '../../src/server.js';
import { launchBrowser } from '../support/browser.js';
import { createTestDatabase, dialects, type TestDatabase } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

const screenshots = join(projectRoot, 'docs/screenshots');
/** `UPDATE_SCREENSHOTS=1 npm test -- test/browser/widget` refreshes the README's pictures (SQLite run only). */
const updateScreenshots = process.env.UPDATE_SCREENSHOTS === '1';

interface Pushed {
  message_id: number;
  conversation_id: number;
  content: string;
  is_from_admin: boolean;
}

/** An agent on `/agent` that records every `message` push. */
class Agent {
  readonly socket: Socket;
  readonly messages: Pushed[] = [];
  readonly started: { conversation_id: number; visitor_name: string | null; visitor_email: string | null }[] = [];
  readonly typing: { conversation_id: number; is_typing: boolean }[] = [];
  readonly closed: { conversation_id: number }[] = [];

  constructor(url: string) {
    this.socket = io(`${url}/agent`, { auth: { apiKey: TEST_API_KEY }, transports: ['websocket'], reconnection: false });
    this.socket.on('message', (m: Pushed) => this.messages.push(m));
    this.socket.on('conversation:started', (c: Agent['started'][number]) => this.started.push(c));
    this.socket.on('typing', (t: Agent['typing'][number]) => this.typing.push(t));
    this.socket.on('conversation:closed', (c: Agent['closed'][number]) => this.closed.push(c));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  async reply(conversationId: number, content: string): Promise<void> {
    const ack = await this.socket.timeout(5000).emitWithAck('message:send', { conversation_id: conversationId, content, admin_name: 'Sam' });
    expect(ack).toMatchObject({ ok: true });
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
async function eventually<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(dialects)('visitor widget on %s', (dialect) => {
  let db: TestDatabase;
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let agent: Agent;
  const pageErrors: string[] = [];
  let alerted = false;
  let conversationId = 0;

  // Playwright locators pierce the open shadow root, so roles and names are what a screen reader sees.
  const launcher = () => page.getByRole('button', { name: /^Acme Support/ });
  const dialog = () => page.getByRole('dialog', { name: 'Acme Support' });
  const log = () => page.getByRole('log', { name: 'Messages' });
  const input = () => page.getByRole('textbox', { name: 'Message' });
  const offlineNotice = () => page.locator('[data-livechat-widget] .offline');
  /** The shadow root's focused element, described as "tag name". */
  const focused = () => page.evaluate<string>("(() => { const a = document.querySelector('[data-livechat-widget]').shadowRoot.activeElement; return a ? `${a.tagName.toLowerCase()} ${a.getAttribute('name') ?? a.id}` : 'none'; })()");
  const outerFocused = () => page.evaluate<string>("document.activeElement?.hasAttribute('data-livechat-widget') ? 'widget' : 'page'");

  async function send(text: string): Promise<void> {
    await input().fill(text);
    await input().press('Enter');
  }

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    t = await startTestServer(dialect, {}, db.url);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
    });
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    agent = new Agent(t.url);
    await agent.connected();
    if (updateScreenshots) mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    agent?.close();
    await context?.close();
    await browser?.close();
    await t?.stop();
    await db?.drop();
  });

  it('opens from the launcher, asks who the visitor is, and carries a conversation both ways', async () => {
    await page.goto(`${t.url}/demo`);
    await launcher().waitFor();
    expect(await launcher().getAttribute('aria-expanded')).toBe('false');
    expect(await dialog().isVisible()).toBe(false);

    if (updateScreenshots && dialect === 'sqlite') await page.screenshot({ path: join(screenshots, 'widget-closed.png') });
    await launcher().click();
    await dialog().waitFor();
    expect(await launcher().getAttribute('aria-expanded')).toBe('true');
    expect(await focused()).toBe('input name'); // focus moves into the panel
    if (updateScreenshots && dialect === 'sqlite') await page.screenshot({ path: join(screenshots, 'widget-prechat.png') });

    await page.getByRole('textbox', { name: 'Name' }).fill('Ada Lovelace');
    await page.getByRole('textbox', { name: 'Email' }).fill('ada@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    const started = await eventually(() => agent.started[0]);
    expect(started).toMatchObject({ visitor_name: 'Ada Lovelace', visitor_email: 'ada@example.com' });
    conversationId = started.conversation_id;
    expect(await focused()).toBe('textarea lc-input');

    await send('Hello! Where is my order #1042?');
    const received = await eventually(() => agent.messages.find((m) => m.content === 'Hello! Where is my order #1042?'));
    expect(received).toMatchObject({ conversation_id: conversationId, is_from_admin: false });
    await log().locator('.visitor.sent').filter({ hasText: 'order #1042' }).waitFor();

    await agent.reply(conversationId, 'Hi Ada, it left our warehouse this morning and arrives tomorrow.');
    await log().getByText('it left our warehouse this morning').waitFor();
    expect(await log().locator('.agent .who').last().textContent()).toBe('Sam');

    await agent.socket.timeout(5000).emitWithAck('typing', { conversation_id: conversationId, is_typing: true });
    await page.getByText('Sam is typing…').or(page.getByText('Agent is typing…')).waitFor();
    // The visitor's typing reaches the agent, and sending stops it.
    await input().pressSequentially('Wonderful');
    await eventually(() => agent.typing.find((e) => e.conversation_id === conversationId && e.is_typing));
    await input().fill('');
    await send('Wonderful, thank you!');
    await eventually(() => agent.typing.find((e) => e.conversation_id === conversationId && !e.is_typing));
    await eventually(() => agent.messages.find((m) => m.content === 'Wonderful, thank you!'));
    await log().locator('.visitor.sent').filter({ hasText: 'Wonderful' }).waitFor();
    if (updateScreenshots && dialect === 'sqlite') await page.screenshot({ path: join(screenshots, 'widget.png') });
    await agent.socket.timeout(5000).emitWithAck('typing', { conversation_id: conversationId, is_typing: false });
    await page.getByText(/is typing…/).waitFor({ state: 'detached' });
  });

  it('closes on Escape, returns focus to the launcher, and counts unread replies on a badge', async () => {
    await input().press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    expect(await launcher().getAttribute('aria-expanded')).toBe('false');
    expect(await outerFocused()).toBe('widget');
    expect(await focused()).toMatch(/^button/);

    await agent.reply(conversationId, 'One more thing: you can track it with code ZX-9.');
    await page.getByRole('button', { name: 'Acme Support, 1 unread message' }).waitFor();
    await agent.reply(conversationId, 'Have a nice day!');
    await page.getByRole('button', { name: 'Acme Support, 2 unread messages' }).waitFor();
    expect(await page.locator('[data-livechat-widget] .badge').textContent()).toBe('2');

    await launcher().click();
    await dialog().waitFor();
    expect(await page.locator('[data-livechat-widget] .badge').isVisible()).toBe(false);
    expect(await launcher().getAttribute('aria-label')).toBe('Acme Support');
  });

  it('shows markup from an agent literally, as text', async () => {
    const evil = '<img src=x onerror=alert(1)><b>bold?</b>';
    await agent.reply(conversationId, evil);
    const bubble = log().locator('.agent p').filter({ hasText: '<img' });
    await bubble.waitFor();
    expect(await bubble.textContent()).toBe(evil);
    expect(await page.locator('[data-livechat-widget] img').count()).toBe(0);
    expect(await page.locator('[data-livechat-widget] b').count()).toBe(0);
    expect(alerted).toBe(false);
  });

  it('resumes the same conversation and its history after a reload', async () => {
    await page.reload();
    await launcher().click();
    await dialog().waitFor();
    // No pre-chat form this time: the stored token resumed the visitor and their open conversation.
    expect(await page.getByRole('button', { name: 'Start chat' }).isVisible()).toBe(false);
    await log().getByText('Hello! Where is my order #1042?').waitFor();
    await log().getByText('it left our warehouse this morning').waitFor();
    expect(await focused()).toBe('textarea lc-input');

    await send('Back again after a reload.');
    const after = await eventually(() => agent.messages.find((m) => m.content === 'Back again after a reload.'));
    expect(after.conversation_id).toBe(conversationId);
    expect(agent.started).toHaveLength(1);
    await agent.reply(conversationId, 'Welcome back!');
    await log().getByText('Welcome back!').waitFor();
  });

  it('reconnects by itself after the server drops the socket', async () => {
    t.server.io.of('/widget').disconnectSockets();
    await offlineNotice().filter({ hasText: 'offline' }).waitFor();
    await offlineNotice().filter({ hasText: 'offline' }).waitFor({ state: 'hidden', timeout: 10_000 });
    await send('Still connected?');
    expect((await eventually(() => agent.messages.find((m) => m.content === 'Still connected?'))).conversation_id).toBe(conversationId);
  });

  it('shows an offline notice while the server is down and flushes queued messages in order on reconnect', async () => {
    const port = t.port;
    agent.close();
    await t.stop(); // the database survives: it belongs to this test file
    await offlineNotice().filter({ hasText: 'offline' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'You are offline' }).count()).toBe(1);

    const queued = ['first while offline', 'second while offline', 'third while offline'];
    for (const text of queued) await send(text);
    const pending = log().locator('.visitor.pending');
    expect(await pending.count()).toBe(3);
    expect(await pending.locator('.meta').allTextContents()).toEqual(['sending…', 'sending…', 'sending…']);
    if (updateScreenshots && dialect === 'sqlite') await page.screenshot({ path: join(screenshots, 'widget-offline.png') });

    t = await startTestServer(dialect, { PORT: String(port) }, db.url);
    agent = new Agent(t.url);
    await agent.connected();
    // socket.io-client backs off up to 5 s between attempts.
    const flushed = await eventually(() => {
      const got = agent.messages.filter((m) => queued.includes(m.content));
      return got.length === 3 ? got : undefined;
    }, 20_000);
    expect(flushed.map((m) => m.content)).toEqual(queued);
    expect(flushed.every((m) => m.conversation_id === conversationId)).toBe(true);
    expect(flushed.map((m) => m.message_id)).toEqual([...flushed.map((m) => m.message_id)].sort((a, b) => a - b));
    await offlineNotice().filter({ hasText: 'offline' }).waitFor({ state: 'hidden' });
    await log().locator('.visitor.pending').first().waitFor({ state: 'detached' });
    expect(await log().locator('.visitor.sent').filter({ hasText: 'while offline' }).count()).toBe(3);
  }, 60_000);

  it('lets the visitor end the chat; writing again starts a new conversation', async () => {
    await page.getByRole('button', { name: 'End chat' }).click();
    await log().getByText('This conversation has ended.').waitFor();
    expect((await eventually(() => agent.closed[0])).conversation_id).toBe(conversationId);
    expect(await page.getByRole('button', { name: 'End chat' }).isVisible()).toBe(false);

    await send('One more question, please.');
    const next = await eventually(() => agent.messages.find((m) => m.content === 'One more question, please.'));
    expect(next.conversation_id).not.toBe(conversationId);
    await page.getByRole('button', { name: 'End chat' }).waitFor();
  });

  it('raised no page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
