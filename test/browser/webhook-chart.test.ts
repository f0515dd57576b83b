/// <reference lib="dom" />
// Seeing deliveries, in Chromium: a webhook delivered fine for hours, then its receiver answered 500.
// The list says it is failing (since when, how many, the 24 h success rate) and keeps a Test press
// apart from its deliveries; the logs page draws the 24 h chart (green bars, then red ones), says
// the same in words, filters by event, finds a delivery by id, recovers failed ones, and once the
// server disables the webhook says so, with what is held, giving its advice once.
// UPDATE_SCREENSHOTS=1 refreshes docs/screenshots/webhook-chart.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { projectRoot } from '../../src/server.js';
import { launchBrowser } from '../support/browser.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { apiClient, seedAttempts, seedDeliveries, type ApiClient, type SeedAttempt } from '../webhooks/api/helpers.js';

const screenshots = join(projectRoot, 'docs/screenshots');
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HOUR = 3_600_000;
const XSS = '<img src=x onerror=alert(1)>';

describe('the delivery chart and health of a webhook in Chromium', () => {
  let t: TestServer;
  let api: ApiClient;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let id = 0;
  let failedId = '';
  const pageErrors: string[] = [];
  let alerted = false;
  // Times in UTC, as the browser context below shows them: "14:00", and "30 Nov, 14:02" before today.
  const hourLabel = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const shortTime = (ms: number) =>
    new Date(ms).toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10)
      ? hourLabel(ms)
      : `${new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })}, ${hourLabel(ms)}`;
  let currentHour = 0;
  /** Green until 4 hours before the current one, red from 3 hours before it (14:00 in the story), nothing yet this hour. */
  let redFrom = 0;
  let failingSince = new Date(0);

  beforeAll(async () => {
    // The chart's hours are the server's: a test that began a minute before the hour turns would
    // find its bars one slot off. Then it starts with the new hour.
    while (Date.now() % HOUR > HOUR - 60_000) await new Promise((r) => setTimeout(r, 1000));
    currentHour = Math.floor(Date.now() / HOUR) * HOUR;
    redFrom = currentHour - 3 * HOUR;
    failingSince = new Date(redFrom + 2 * 60_000);

    receiver = await startReceiver(() => ({ status: 500, body: 'database is down' }));
    // Quick retries, and disabled at the 38th delivery that fails for good: the seed has 37.
    t = await startTestServer('sqlite', { WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2', WEBHOOK_DISABLE_AFTER_FAILURES: '38', WEBHOOK_SWEEP_CRON: '* * * * * *' });
    api = apiClient(t.url);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => {
      if (/Content Security Policy|Refused to/i.test(msg.text())) pageErrors.push(msg.text());
    });
    page.on('dialog', (d) => {
      alerted = true;
      void d.dismiss();
    });
    mkdirSync(screenshots, { recursive: true });

    id = (await api.post('/webhooks', { name: `Orders ${XSS}`, url: receiver.url, events: ['message.received', 'message.sent'] })).body.data.id;
    // Hours 8 to 4 before the current one: 6 fast successes each. Hours 3 to 1 before: 500s (and a
    // timeout), 5 an hour, slower. A Test press that succeeded is no delivery.
    const attempts: SeedAttempt[] = [];
    for (let h = 8; h >= 4; h--) for (let i = 0; i < 6; i++) attempts.push({ at: new Date(currentHour - h * HOUR + i * 60_000), cause: 'ok', ms: 40 });
    for (let h = 3; h >= 1; h--) {
      for (let i = 0; i < 5; i++) attempts.push({ at: new Date(currentHour - h * HOUR + (2 + i) * 60_000), cause: 'server_error', status: 500, ms: 120 });
    }
    attempts.push({ at: new Date(currentHour - HOUR + 50 * 60_000), cause: 'timeout', ms: 10_000 });
    attempts.push({ at: new Date(currentHour - HOUR + 55 * 60_000), cause: 'ok', ms: 30, isTest: true });
    await seedAttempts(t.server.sequelize, id, attempts);
    // The delivery log: a delivered message.sent, a message.received that failed for good, and a
    // Test press, newest, that succeeded: the list must not take it for the last delivery.
    const seeded = await seedDeliveries(t.server.sequelize, id, [
      { status: 'delivered', createdAt: new Date(redFrom - 2 * HOUR), event: 'message.sent' },
      { status: 'failed', createdAt: new Date(redFrom + 5 * 60_000), event: 'message.received', attempts: 4 },
    ]);
    failedId = seeded[1]!;
    await seedDeliveries(t.server.sequelize, id, [{ status: 'delivered', createdAt: new Date(), event: 'webhook.test', isTest: true }]);
    await t.server.sequelize.query('UPDATE webhooks SET consecutive_failures = 37, failing_since = ? WHERE id = ?', {
      replacements: [failingSince, id],
      type: QueryTypes.BULKUPDATE,
    });

    await page.goto(`${t.url}/admin/login?next=/admin/webhooks`);
    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${t.url}/admin/webhooks`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.stop();
    await receiver?.close();
  });

  const row = () => page.locator(`tr[data-webhook-id="${id}"]`);

  it('lists the webhook as failing since when, with how many failed and the last 24 hours\' success rate', async () => {
    await row().waitFor();
    const cell = row().locator('.health');
    expect(await cell.locator('.health-failing').innerText()).toBe(`✗ Failing since ${shortTime(failingSince.getTime())} · 37 failed deliveries`);
    // 30 successes and 16 failures in the window; the Test press is left out.
    expect(await cell.locator('.health-recent').innerText()).toBe('24 h: 65% of 46 attempts succeeded');
    // The newest row is the passing Test press; the last delivery is the failed one.
    expect(await cell.locator('.badge').innerText()).toBe('failed');
    expect(await page.locator('#webhook-table thead').innerText()).toMatch(/Deliveries/);
  });

  it('marks a Test result as a test, beside a last delivery it does not change', async () => {
    await row().getByRole('button', { name: 'Test' }).click();
    const result = row().locator('.test-result');
    await result.filter({ hasText: 'HTTP 500' }).waitFor();
    expect(await result.innerText()).toMatch(/^Test: ✗ HTTP 500 in \d+ ms/);
    await page.reload();
    await row().waitFor();
    expect(await row().locator('.health .badge').innerText()).toBe('failed');
  });

  it('draws the last 24 hours on the logs page: green bars, then red ones from the hour it broke', async () => {
    await row().getByRole('link', { name: /^Logs/ }).click();
    await page.waitForURL(`${t.url}/admin/webhooks/${id}/deliveries`);
    const chart = page.locator('#chart svg.webhook-chart');
    await chart.waitFor();
    expect(await page.locator('#webhook-name').innerText()).toBe(`Orders ${XSS}`);
    expect(await chart.locator('title').first().textContent()).toBe(`Deliveries of Orders ${XSS}, last 24 hours`);
    const hours = chart.locator('g.hour');
    expect(await hours.count()).toBe(24);
    // Bucket 23 is the current hour, 23 - h the one h hours before it.
    const bars = async (h: number) => ({
      succeeded: await hours.nth(23 - h).locator('rect.succeeded').count(),
      http_error: await hours.nth(23 - h).locator('rect.http_error').count(),
      no_response: await hours.nth(23 - h).locator('rect.no_response').count(),
    });
    for (const h of [8, 5, 4]) expect(await bars(h)).toEqual({ succeeded: 1, http_error: 0, no_response: 0 });
    for (const h of [3, 2]) expect(await bars(h)).toEqual({ succeeded: 0, http_error: 1, no_response: 0 });
    expect(await bars(1)).toEqual({ succeeded: 0, http_error: 1, no_response: 1 });
    for (const h of [12, 0]) expect(await bars(h)).toEqual({ succeeded: 0, http_error: 0, no_response: 0 });
    // The green bars are as tall as the red ones are (6 and 5 attempts on one axis).
    const green = await hours.nth(23 - 4).locator('rect.succeeded').boundingBox();
    const red = await hours.nth(23 - 3).locator('rect.http_error').boundingBox();
    expect(green!.height / red!.height).toBeCloseTo(6 / 5, 1);
    expect(await hours.nth(23 - 3).locator('title').textContent()).toBe(
      `${hourLabel(redFrom)}: 5 attempts, 0 succeeded, 5 HTTP errors, 0 no response; p50 ${await p50(3)} ms, p95 ${await p95(3)} ms`,
    );
    expect(await chart.locator('path.p50').count()).toBe(1);
    expect(await chart.locator('path.p95').count()).toBe(1);
    // The same in words, so nothing rests on colour.
    expect(await page.locator('#chart-summary').innerText()).toBe(
      `46 attempts · 65% succeeded · 15 HTTP errors · 1 without a response. Every attempt since ${hourLabel(redFrom)} failed.`,
    );
    expect(await page.locator('#webhook-state').innerText()).toBe(
      `✗ Failing since ${shortTime(failingSince.getTime())} · 37 failed deliveries. New attempts go out as they fall due.`,
    );
    if (process.env.UPDATE_SCREENSHOTS) await page.screenshot({ path: join(screenshots, 'webhook-chart.png') });
  });

  async function p50(h: number): Promise<number> {
    return (await api.get(`/webhooks/${id}/stats`)).body.data.buckets[23 - h].p50_ms;
  }
  async function p95(h: number): Promise<number> {
    return (await api.get(`/webhooks/${id}/stats`)).body.data.buckets[23 - h].p95_ms;
  }

  it('filters the log by event, and marks Test presses as tests', async () => {
    const events = () => page.locator('#delivery-table tbody tr td:nth-child(2) a').allInnerTexts();
    await page.locator('#delivery-table').waitFor();
    // Both Test presses (the seeded one and the one above) are in the log, each tagged "test".
    const tests = page.locator('#delivery-table tbody tr').filter({ has: page.getByRole('link', { name: 'webhook.test' }) });
    expect(await tests.count()).toBe(2);
    expect(await tests.locator('.tag').allInnerTexts()).toEqual(['test', 'test']);
    await tests.first().getByRole('link', { name: 'webhook.test' }).click();
    await page.locator('#delivery .facts').waitFor();
    const event = page.locator('#delivery .facts dd').nth(1);
    expect([await event.locator('code').innerText(), await event.locator('.tag').innerText()]).toEqual(['webhook.test', 'test']);
    await page.goBack();
    await page.locator('#delivery-table').waitFor();
    await page.getByLabel('Event').selectOption('message.sent');
    await page.waitForURL(`${t.url}/admin/webhooks/${id}/deliveries?event=message.sent`);
    await page.locator('#delivery-table').waitFor();
    expect(await events()).toEqual(['message.sent']);
    await page.getByLabel('Status').selectOption('failed');
    await page.waitForURL(`${t.url}/admin/webhooks/${id}/deliveries?status=failed&event=message.sent`);
    await page.getByText('No failed message.sent deliveries.').waitFor();
  });

  it('finds a delivery by its id, and says so when this webhook has none by that id', async () => {
    await page.getByLabel('Delivery ID').fill('6f1c1d7e-0000-4000-8000-000000000000');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('No delivery 6f1c1d7e-0000-4000-8000-000000000000 in this webhook\'s logs.').waitFor();
    await page.getByLabel('Delivery ID').fill(failedId.toUpperCase());
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(`${t.url}/admin/webhooks/${id}/deliveries/${failedId}`);
    await page.locator('#delivery').getByText('message.received', { exact: true }).waitFor();
  });

  it('recovers the failed deliveries of a window: they go out again, fail for good, and the server disables the webhook', async () => {
    await page.goto(`${t.url}/admin/webhooks/${id}/deliveries`);
    await page.locator('#delivery-table').waitFor();
    receiver.clear();
    await page.getByLabel('From').fill(new Date(redFrom).toISOString().slice(0, 16));
    await page.getByRole('button', { name: 'Queue failed deliveries again' }).click();
    await page.getByText('1 failed delivery queued again.').waitFor();
    // A fresh budget of 4 attempts, each answered 500: the 38th delivery failed for good.
    const requests = await receiver.waitFor(4, 20_000);
    expect(requests.map((r) => r.headers['x-webhook-delivery'])).toEqual([failedId, failedId, failedId, failedId]);
    for (const end = Date.now() + 20_000; (await api.get(`/webhooks/${id}`)).body.data.is_active; ) {
      if (Date.now() > end) throw new Error('the webhook was not disabled');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('says on the logs page that the server disabled it and that its pending deliveries are held, giving the advice once', async () => {
    const reason: string = (await api.get(`/webhooks/${id}`)).body.data.disabled_reason;
    expect(reason).toBe('Disabled after 38 consecutive failed deliveries. Fix the receiver, then enable the webhook; held retries will go out.');
    // An event after the disable would make no row; one queued before it waits in the table.
    await seedDeliveries(t.server.sequelize, id, [{ status: 'pending', createdAt: new Date(), event: 'message.sent' }]);
    await page.reload();
    const state = page.locator('#webhook-state [data-state="disabled"]');
    await state.waitFor();
    const text = await state.innerText();
    expect(text).toMatch(new RegExp(`^Disabled automatically on .+\\. ${escapeRegExp(reason)}\n`));
    expect(text).toContain('It gets no new deliveries, and its 1 pending delivery is held.');
    expect(text.match(/enable/gi)).toHaveLength(2); // the reason's advice, and the button
    expect(text.match(/held retries will go out/g)).toHaveLength(1);

    await page.goto(`${t.url}/admin/webhooks`);
    const banner = page.locator(`tr[data-webhook-notice="${id}"]`);
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(new RegExp(`^Disabled automatically on .+\\. ${escapeRegExp(reason)}$`));
    expect(await row().locator('.health').innerText()).toContain('held while disabled');
  });

  it('ran without a script error, an alert or a CSP violation', () => {
    expect(pageErrors).toEqual([]);
    expect(alerted).toBe(false);
  });
});
