/// <reference lib="dom" />
// An agent's attention in Chromium: the agent turns on the sound and desktop notifications with
// the console's own checkboxes, real visitors write over Socket.IO, and the page's beeps and
// notifications are recorded by wrapping the browser's own Notification and oscillator start (the
// real ones still run, so a notification really shows). Covers what alerts.ts and the console
// promise: a beep for every visitor write, a notification unless the agent is reading that
// conversation, nothing for agents' replies or with the boxes off, visitor text passed as text.
// Runs on MariaDB and SQLite.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Socket } from 'socket.io-client';
import { launchBrowser, signInToConsole, type ConsoleCredentials } from '../support/browser.js';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { connectAgent, connectWidget, next, ok } from '../chat/clients.js';

interface Shown {
  title: string;
  body: string | undefined;
  tag: string | undefined;
  /** The browser fired the notification's `show` event. */
  shown: boolean;
}
/** What the init script keeps on window: plain records, plus the live objects behind them. */
interface Recorder {
  notifications: Shown[];
  /** Oscillator frequencies in start order: a beep is 880 then 660. */
  tones: number[];
  instances: Notification[];
  audio: AudioContext[];
}
type Recorded = Window & { __alerts: Recorder; __pwned?: unknown };

/** Runs in every page before its scripts: wraps Notification and oscillator start to record them. */
function recordAlerts(): void {
  const rec: Recorder = { notifications: [], tones: [], instances: [], audio: [] };
  (window as unknown as Recorded).__alerts = rec;
  const RealNotification = window.Notification;
  class RecordedNotification extends RealNotification {
    constructor(title: string, options?: NotificationOptions) {
      super(title, options);
      const entry: Shown = { title, body: options?.body, tag: options?.tag, shown: false };
      rec.notifications.push(entry);
      rec.instances.push(this);
      this.addEventListener('show', () => (entry.shown = true));
    }
  }
  window.Notification = RecordedNotification;
  const RealAudioContext = window.AudioContext;
  window.AudioContext = class extends RealAudioContext {
    constructor(options?: AudioContextOptions) {
      super(options);
      rec.audio.push(this);
    }
  };
  const start = AudioScheduledSourceNode.prototype.start;
  AudioScheduledSourceNode.prototype.start = function (this: AudioScheduledSourceNode, when?: number) {
    if (this instanceof OscillatorNode) rec.tones.push(this.frequency.value);
    return start.call(this, when);
  };
}

const BEEP = [880, 660];
/** For the steps that sign in (password hashing, a first bundle build) on a busy machine. */
const SIGN_IN_MS = 60_000;

describe.each(dialects)('sound and desktop notifications in the agent console, on %s', (dialect) => {
  let t: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const sockets: Socket[] = [];
  const pageErrors: string[] = [];
  const dialogs: string[] = [];
  let ana: Page;

  async function newPage(grantNotifications: boolean): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    if (grantNotifications) await context.grantPermissions(['notifications'], { origin: t.url });
    await context.addInitScript(recordAlerts);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return page;
  }

  const signIn = (page: Page, fields: ConsoleCredentials) => signInToConsole(page, t.url, fields);

  const records = (page: Page) => page.evaluate(() => {
    const { notifications, tones } = (window as unknown as Recorded).__alerts;
    return { notifications: notifications.map((n) => ({ ...n })), tones: [...tones] };
  });

  /** Waits until the page has recorded at least `notifications` notifications and `tones` tones. */
  async function recorded(page: Page, counts: { notifications: number; tones: number }): Promise<Awaited<ReturnType<typeof records>>> {
    await page.waitForFunction(({ notifications, tones }) => {
      const rec = (window as unknown as Recorded).__alerts;
      return rec.notifications.length >= notifications && rec.tones.length >= tones;
    }, counts, { timeout: 15_000 });
    return records(page);
  }

  const item = (page: Page, id: number) => page.locator(`#conversation-list .conv-item[data-conversation-id="${id}"]`);

  /** A visitor who says who they are and writes; resolves with the conversation id. */
  async function visitorWrites(name: string, content: string): Promise<{ socket: Socket; conversationId: number }> {
    const { socket } = await connectWidget(t.url);
    sockets.push(socket);
    await ok(socket, 'conversation:start', { name });
    const sent = await ok(socket, 'message:send', { content });
    return { socket, conversationId: sent.conversation_id as number };
  }

  let vera: { socket: Socket; conversationId: number };

  beforeAll(async () => {
    t = await startTestServer(dialect);
    browser = await launchBrowser();
    const admin = await newPage(false);
    await signIn(admin, { apiKey: TEST_API_KEY });
    await admin.goto(`${t.url}/admin/agents`);
    await admin.getByLabel('Name (shown to visitors)').fill('Ana Lima');
    await admin.getByLabel('Email (signs in with it)').fill('ana@example.com');
    await admin.getByLabel(/^Password/).fill('Ana Lima has a long password');
    await admin.getByRole('radio', { name: /Agent/ }).check();
    await admin.getByRole('button', { name: 'Add agent' }).click();
    await admin.getByText('Agent added. They can sign in now.').waitFor();
  }, SIGN_IN_MS);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.stop();
  });

  it('turns the sound and desktop notifications on with the console’s checkboxes (a test beep), and keeps them across a reload', async () => {
    ana = await newPage(true);
    await signIn(ana, { email: 'ana@example.com', password: 'Ana Lima has a long password' });
    const sound = ana.getByRole('checkbox', { name: 'Sound' });
    const desktop = ana.getByRole('checkbox', { name: 'Desktop notifications' });
    expect([await sound.isChecked(), await desktop.isChecked()]).toEqual([false, false]);

    await sound.check();
    expect((await recorded(ana, { notifications: 0, tones: 2 })).tones).toEqual(BEEP);
    await desktop.check();
    await ana.waitForFunction(() => localStorage.getItem('lc-desktop') === '1');
    expect(await ana.locator('#alert-hint').innerText()).toBe('');

    await ana.reload();
    await ana.locator('#connection[data-state="live"]').waitFor();
    expect([await sound.isChecked(), await desktop.isChecked()]).toEqual([true, true]);
    expect(await records(ana)).toEqual({ notifications: [], tones: [] });
  }, SIGN_IN_MS);

  it('shows a desktop notification with the visitor’s name and words, and beeps, for a new conversation and its message', async () => {
    vera = await visitorWrites('Vera Visitor', 'Is anyone there?');
    const tag = `conversation-${vera.conversationId}`;
    const { notifications, tones } = await recorded(ana, { notifications: 2, tones: 4 });
    expect(notifications.map(({ title, body, tag }) => ({ title, body, tag }))).toEqual([
      { title: 'New conversation', body: 'Vera Visitor', tag },
      { title: 'Vera Visitor', body: 'Is anyone there?', tag },
    ]);
    expect(tones).toEqual([...BEEP, ...BEEP]);
    // The real notification was shown, and the beep's audio is not held back by the browser.
    await ana.waitForFunction(() => (window as unknown as Recorded).__alerts.notifications.every((n) => n.shown), null, { timeout: 15_000 });
    await ana.waitForFunction(() => (window as unknown as Recorded).__alerts.audio.every((a) => a.state === 'running'), null, { timeout: 15_000 });
    expect(await ana.evaluate(() => (window as unknown as Recorded).__alerts.audio.length)).toBe(1);
  });

  it('opens the conversation when the agent clicks its notification', async () => {
    const baseTitle = (await ana.title()).replace(/^\(\d+\) /, '');
    await item(ana, vera.conversationId).locator('.unread-badge').waitFor();
    await ana.evaluate(() => {
      const { instances } = (window as unknown as Recorded).__alerts;
      instances.at(-1)!.dispatchEvent(new Event('click'));
    });
    await ana.locator('#visitor-name').filter({ hasText: 'Vera Visitor' }).waitFor();
    await ana.locator('#messages .from-visitor .bubble').filter({ hasText: 'Is anyone there?' }).waitFor();
    await ana.waitForFunction((title) => document.title === title, baseTitle);
  });

  it('stays quiet for the agent’s own reply and for another agent’s', async () => {
    const before = await records(ana);
    const toVisitor = next<{ content: string }>(vera.socket, 'message', (m) => m.content === 'Hi Vera, Ana here.', 15_000);
    await ana.getByRole('textbox', { name: 'Reply', exact: true }).fill('Hi Vera, Ana here.');
    await ana.getByRole('button', { name: 'Send' }).click();
    await toVisitor;
    // The list shows the reply once the server's push is handled, and the push is what would alert.
    await item(ana, vera.conversationId).locator('.conv-excerpt').filter({ hasText: 'You: Hi Vera, Ana here.' }).waitFor();

    const machine = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    sockets.push(machine);
    await ok(machine, 'message:send', { conversation_id: vera.conversationId, content: 'Billing here too.', admin_name: 'Ben' });
    await item(ana, vera.conversationId).locator('.conv-excerpt').filter({ hasText: 'Ben: Billing here too.' }).waitFor();
    expect(await records(ana)).toEqual(before);
  });

  it('beeps without a notification for the conversation the agent is reading, and notifies for another one', async () => {
    const before = await records(ana);
    await ok(vera.socket, 'message:send', { content: 'Great, thanks' });
    await ana.locator('#messages .from-visitor .bubble').filter({ hasText: 'Great, thanks' }).waitFor();
    const reading = await recorded(ana, { notifications: 0, tones: before.tones.length + 2 });
    expect(reading).toEqual({ notifications: before.notifications, tones: [...before.tones, ...BEEP] });

    const walter = await visitorWrites('Walter', 'Question about my invoice');
    const { notifications, tones } = await recorded(ana, { notifications: before.notifications.length + 2, tones: reading.tones.length + 4 });
    expect(notifications.slice(before.notifications.length).map(({ title, body, tag }) => ({ title, body, tag }))).toEqual([
      { title: 'New conversation', body: 'Walter', tag: `conversation-${walter.conversationId}` },
      { title: 'Walter', body: 'Question about my invoice', tag: `conversation-${walter.conversationId}` },
    ]);
    expect(tones).toEqual([...reading.tones, ...BEEP, ...BEEP]);
  });

  it('passes a visitor’s markup-like name and words to the notification as plain text, and nothing runs', async () => {
    const before = await records(ana);
    const name = '<img src=x onerror=alert(1)>';
    const content = '<script>window.__pwned = 1</script><b onmouseover=alert(2)>hi</b>';
    const mallory = await visitorWrites(name, content);
    const { notifications } = await recorded(ana, { notifications: before.notifications.length + 2, tones: 0 });
    expect(notifications.slice(before.notifications.length).map(({ title, body }) => ({ title, body }))).toEqual([
      { title: 'New conversation', body: name },
      { title: name, body: content },
    ]);
    const row = item(ana, mallory.conversationId);
    expect(await row.locator('.conv-name').textContent()).toBe(name);
    expect(await row.locator('.conv-excerpt').textContent()).toBe(content);
    expect(await ana.evaluate(() => ({ markup: document.querySelectorAll('img[src="x"], b[onmouseover], #conversation-list script').length, pwned: (window as unknown as Recorded).__pwned }))).toEqual({ markup: 0, pwned: undefined });
    expect(dialogs).toEqual([]);
  });

  it('neither beeps nor notifies once the agent turns both boxes off, and keeps them off', async () => {
    await ana.getByRole('checkbox', { name: 'Sound' }).uncheck();
    await ana.getByRole('checkbox', { name: 'Desktop notifications' }).uncheck();
    await ana.waitForFunction(() => localStorage.getItem('lc-sound') === '0' && localStorage.getItem('lc-desktop') === '0');
    const before = await records(ana);
    const xena = await visitorWrites('Xena', 'Anyone about?');
    await item(ana, xena.conversationId).locator('.conv-excerpt').filter({ hasText: 'Anyone about?' }).waitFor();
    await ok(vera.socket, 'message:send', { content: 'One more thing' });
    await ana.locator('#messages .from-visitor .bubble').filter({ hasText: 'One more thing' }).waitFor();
    expect(await records(ana)).toEqual(before);

    await ana.reload();
    await ana.locator('#connection[data-state="live"]').waitFor();
    expect([await ana.getByRole('checkbox', { name: 'Sound' }).isChecked(), await ana.getByRole('checkbox', { name: 'Desktop notifications' }).isChecked()]).toEqual([false, false]);
  });

  it('unticks the box and says why when the browser blocks notifications', async () => {
    const blocked = await newPage(false);
    await signIn(blocked, { email: 'ana@example.com', password: 'Ana Lima has a long password' });
    const desktop = blocked.getByRole('checkbox', { name: 'Desktop notifications' });
    // Headless Chromium answers the permission request itself with "denied", as a user's "Block" would.
    await desktop.click();
    await blocked.locator('#alert-hint').filter({ hasText: 'Notifications are blocked for this site in the browser’s settings.' }).waitFor();
    expect(await desktop.isChecked()).toBe(false);
    expect(await blocked.evaluate(() => [Notification.permission, localStorage.getItem('lc-desktop')])).toEqual(['denied', '0']);

    const quiet = await visitorWrites('Yuri', 'Hello?');
    await item(blocked, quiet.conversationId).locator('.conv-excerpt').filter({ hasText: 'Hello?' }).waitFor();
    expect(await records(blocked)).toEqual({ notifications: [], tones: [] });
    expect(pageErrors).toEqual([]);
  }, SIGN_IN_MS);
});
