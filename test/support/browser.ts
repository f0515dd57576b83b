import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A headless Chromium for browser tests. Close it in afterAll (`await browser.close()`).
 * Flags keep it quiet and offline apart from the pages a test opens: no sandbox (containers),
 * no GPU, no background updates or sync, no QUIC.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

export type ConsoleCredentials = { email: string; password: string } | { apiKey: string };

/** Signs in to the admin console at `baseUrl` and waits for Conversations and its live connection. */
export async function signInToConsole(page: Page, baseUrl: string, fields: ConsoleCredentials): Promise<void> {
  await page.goto(`${baseUrl}/admin/login`);
  if ('apiKey' in fields) await page.getByLabel('API key').fill(fields.apiKey);
  else {
    await page.getByLabel('Email').fill(fields.email);
    await page.getByLabel('Password', { exact: true }).fill(fields.password);
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/admin/conversations`);
  await page.locator('#connection[data-state="live"]').waitFor();
}
