import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../support/browser.js';
import { dialects } from '../../support/databases.js';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';
import { libraries, verifyWith } from '../engine/standard-libraries.js';
import { apiClient, webhookBody, type ApiClient } from './helpers.js';

/**
 * Secret rotation through the REST API and the admin's Edit page (SPEC §8), checked the way a
 * receiver would: real deliveries of the Test action, verified with the standardwebhooks and svix
 * libraries holding only the old or only the new secret.
 */
describe.each(dialects)('secret rotation on %s', (dialect) => {
  let t: TestServer;
  let api: ApiClient;
  let receiver: Receiver;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestServer(dialect);
    api = apiClient(t.url);
    receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await t?.stop();
  });

  /** Sends the Test action and answers the request the receiver got. */
  const testDelivery = async (id: number): Promise<ReceivedRequest> => {
    const before = receiver.requests.length;
    const res = await api.post(`/webhooks/${id}/test`);
    expect(res.body.data).toMatchObject({ success: true });
    return (await receiver.waitFor(before + 1))[before]!;
  };
  const verifies = (request: ReceivedRequest, secret: string) => libraries.map((library) => verifyWith(library, secret, request));
  const createSigned = async (secret = 'whsec_' + 'c0ffee'.repeat(10) + 'abcd') => {
    const res = await api.post('/webhooks', webhookBody(receiver.url, { secret, events: ['message.received'] }));
    return { id: res.body.data.id as number, secret };
  };

  it('keeps the old secret signing during the overlap it was given, beside the new one', async () => {
    const { id, secret: oldSecret } = await createSigned();
    const started = Date.now();
    const res = await api.post(`/webhooks/${id}/regenerate-secret`, { old_secret_valid_for_seconds: 3600 });
    expect(res.status).toBe(200);
    const newSecret: string = res.body.data.secret;
    expect(newSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const expires = Date.parse(res.body.data.old_secret_expires_at);
    expect(expires - started).toBeGreaterThanOrEqual(3_600_000 - 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(res.body.message).toContain('The old secret also signs until');
    // A read never shows either secret.
    const read = await api.get(`/webhooks/${id}`);
    expect(read.text).not.toContain(newSecret);
    expect(read.text).not.toContain(oldSecret);

    const request = await testDelivery(id);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(request, oldSecret)).toEqual(['ok', 'ok']);
    expect(verifies(request, newSecret)).toEqual(['ok', 'ok']);
    expect(request.headers['x-webhook-signature']).toBe(createHmac('sha256', newSecret).update(request.body).digest('hex'));

    // A secret set through PUT ends the overlap: only the secret the admin chose signs.
    const typed = 'a-secret-typed-by-the-admin';
    expect((await api.put(`/webhooks/${id}`, { secret: typed })).status).toBe(200);
    const afterPut = await testDelivery(id);
    expect(String(afterPut.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(libraries.map((library) => verifyWith(library, Buffer.from(typed), afterPut, { raw: true }))).toEqual(['ok', 'ok']);
    expect(verifies(afterPut, newSecret)).toEqual(['No matching signature found', 'No matching signature found']);
  });

  it('stops the old secret at once by default (no body, or 0)', async () => {
    for (const body of [undefined, { old_secret_valid_for_seconds: 0 }]) {
      const { id, secret: oldSecret } = await createSigned();
      const res = await api.post(`/webhooks/${id}/regenerate-secret`, body);
      expect(res.status).toBe(200);
      expect(res.body.data.old_secret_expires_at).toBeNull();
      const request = await testDelivery(id);
      expect(verifies(request, res.body.data.secret)).toEqual(['ok', 'ok']);
      expect(verifies(request, oldSecret)).toEqual(['No matching signature found', 'No matching signature found']);
    }
  });

  it('ends a 1-second overlap by itself: then only the new secret verifies', async () => {
    const { id, secret: oldSecret } = await createSigned();
    const res = await api.post(`/webhooks/${id}/regenerate-secret`, { old_secret_valid_for_seconds: 1 });
    const newSecret: string = res.body.data.secret;
    const expires = Date.parse(res.body.data.old_secret_expires_at);
    // Wait for the condition (the expiry has passed), not for a fixed time.
    while (Date.now() <= expires) await new Promise((resolve) => setTimeout(resolve, Math.max(10, expires - Date.now() + 5)));
    const request = await testDelivery(id);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(request, newSecret)).toEqual(['ok', 'ok']);
    expect(verifies(request, oldSecret)).toEqual(['No matching signature found', 'No matching signature found']);
  });

  it('refuses an overlap outside 0..604800 seconds with 422 and a field error, changing nothing', async () => {
    const { id, secret } = await createSigned();
    for (const value of [-1, 604_801, 1.5, '3600', null, true]) {
      const res = await api.post(`/webhooks/${id}/regenerate-secret`, { old_secret_valid_for_seconds: value });
      expect({ value, status: res.status }).toEqual({ value, status: 422 });
      expect(res.body).toEqual({
        success: false,
        message: expect.any(String),
        errors: { old_secret_valid_for_seconds: ['must be a whole number of seconds from 0 to 604800'] },
      });
    }
    // The refused requests left the secret as it was.
    const request = await testDelivery(id);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(request, secret)).toEqual(['ok', 'ok']);
    expect((await api.post(`/webhooks/${id}/regenerate-secret`, { old_secret_valid_for_seconds: 604_800 })).status).toBe(200);
    expect((await api.post('/webhooks/999999/regenerate-secret', { old_secret_valid_for_seconds: -1 })).status).toBe(404);
  });

  it('regenerates from the Edit page, keeping the old secret for 1 hour, and shows the new one once', async () => {
    const { id, secret: oldSecret } = await createSigned();
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.url });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    try {
      await page.goto(`${t.url}/admin/webhooks/${id}/edit`);
      await page.getByLabel('API key').fill(TEST_API_KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${t.url}/admin/webhooks/${id}/edit`);
      const control = page.getByRole('group', { name: 'Regenerate secret' });
      expect(await control.getByLabel('Keep the old secret for').locator('option').allInnerTexts()).toEqual(['now', '1 hour', '24 hours']);
      await control.getByLabel('Keep the old secret for').selectOption({ label: '1 hour' });
      await control.getByRole('button', { name: 'Regenerate secret' }).click();
      const shown = control.getByLabel(/New secret/);
      await shown.waitFor();
      const newSecret = await shown.inputValue();
      expect(newSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
      await control.getByText('The old secret also signs webhook-signature until', { exact: false }).waitFor();
      await control.getByRole('button', { name: 'Copy' }).click();
      await control.getByText('Copied to the clipboard.').waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(newSecret);

      const request = await testDelivery(id);
      expect(verifies(request, oldSecret)).toEqual(['ok', 'ok']);
      expect(verifies(request, newSecret)).toEqual(['ok', 'ok']);

      // Reloaded, the page no longer has the secret to show.
      await page.reload();
      await control.getByRole('button', { name: 'Regenerate secret' }).waitFor();
      expect(await page.content()).not.toContain(newSecret);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
