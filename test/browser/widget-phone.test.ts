// The visitor widget on a phone: Chromium at 375×667 with touch, tapping the widget's own buttons.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { launchBrowser } from '../support/browser.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('visitor widget on a 375×667 phone', () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let agent: Socket;
  const received: { content: string; is_from_admin: boolean }[] = [];

  const launcher = () => page.getByRole('button', { name: /^Acme Support/ });
  const dialog = () => page.getByRole('dialog', { name: 'Acme Support' });

  /** A finger on the centre of what the visitor sees as `target`, as a phone user would. */
  async function tap(target: Locator): Promise<void> {
    const box = await target.boundingBox();
    if (!box) throw new Error('not visible, cannot be tapped');
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  }

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 375, height: 667 }, hasTouch: true, isMobile: true });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    agent = io(`${t.url}/agent`, { auth: { apiKey: TEST_API_KEY }, transports: ['websocket'], reconnection: false });
    agent.on('message', (m: { content: string; is_from_admin: boolean }) => received.push(m));
    await new Promise<void>((resolve, reject) => {
      agent.once('connect', resolve);
      agent.once('connect_error', reject);
    });
  });

  afterAll(async () => {
    agent?.close();
    await context?.close();
    await browser?.close();
    await t?.stop();
  });

  it('sends a message with a tap on Send, the panel staying open', async () => {
    await page.goto(`${t.url}/demo`);
    await tap(launcher());
    await dialog().waitFor();

    // Full screen: the panel covers the viewport and nothing of the widget lies over it.
    // (Polled: the panel slides in over a few frames.)
    await eventually(async () => {
      const box = await dialog().boundingBox();
      const rounded = box && [box.x, box.y, box.width, box.height].map(Math.round).join(',');
      return rounded === '0,0,375,667' ? rounded : undefined;
    });
    expect(await launcher().isVisible()).toBe(false);

    await page.getByRole('textbox', { name: 'Name' }).fill('Grace');
    await tap(page.getByRole('button', { name: 'Start chat' }));
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.waitFor();
    await input.fill('Sent with a tap');
    await tap(page.getByRole('button', { name: 'Send message' }));

    const delivered = await eventually(() => received.find((m) => m.content === 'Sent with a tap'));
    expect(delivered.is_from_admin).toBe(false);
    expect(await dialog().isVisible()).toBe(true);
    await page.getByRole('log', { name: 'Messages' }).getByText('Sent with a tap').waitFor();
    expect(await input.inputValue()).toBe('');

    // The close button brings the launcher back, where the visitor expects it.
    await tap(page.getByRole('button', { name: 'Close chat' }));
    await launcher().waitFor();
    expect(await dialog().isVisible()).toBe(false);
  });
});
