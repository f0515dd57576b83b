/**
 * Renders what a Slack channel and a Discord channel show for one `message.received` delivery, as
 * plain HTML mock-ups of each app's message, and screenshots them with Chromium into
 * docs/screenshots/{slack,discord}-message.png for the README's integration guide.
 * The payloads come from the real renderers; every payload string reaches the page through textContent.
 *
 *   npx tsx scripts/render-target-previews.ts
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Envelope } from '../src/events.js';
import { renderDiscord, type DiscordMessage } from '../src/webhooks/events/formats/discord.js';
import { renderSlack, type SlackMessage } from '../src/webhooks/events/formats/slack.js';
import { launchBrowser } from '../test/support/browser.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'screenshots');

/** The README's sample delivery. */
export const sampleEnvelope: Envelope = {
  event: 'message.received',
  delivery_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
  timestamp: '2025-03-01T12:00:01.000Z',
  data: {
    message_id: 7,
    content: 'Hi! Is the pro plan available? We are 12 people and would like to pay yearly.',
    is_from_admin: false,
    admin_name: null,
    conversation_id: 42,
    visitor_name: 'Ada Lovelace',
    visitor_email: 'ada@example.com',
    visitor_phone: null,
    visitor_ip: '203.0.113.7',
    current_url: 'https://shop.example.com/pricing',
    status: 'open',
    created_at: '2025-03-01T12:00:01.000Z',
  },
} as Envelope;

const renderOptions = { publicUrl: 'https://chat.example.com' };

const slackCss = `
  body { margin: 0; background: #fff; font: 15px/1.46 -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: #1d1c1d; }
  .msg { display: flex; gap: 8px; padding: 12px 20px; width: 640px; }
  .avatar { width: 36px; height: 36px; border-radius: 6px; background: #22c55e; color: #fff; font-weight: 700; display: grid; place-items: center; flex: none; }
  .who b { font-weight: 900; } .badge { font-size: 10px; background: #e8e8e8; color: #616061; padding: 1px 3px; border-radius: 2px; margin: 0 4px; font-weight: 700; }
  .time { color: #616061; font-size: 12px; }
  .header { font-size: 18px; font-weight: 900; margin: 4px 0 6px; }
  .quote { border-left: 4px solid #dddddd; padding-left: 10px; margin: 4px 0 8px; white-space: pre-wrap; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin: 8px 0; }
  .fields b { display: block; font-weight: 700; } .fields span { word-break: break-all; }
  .button { display: inline-block; border: 1px solid #c6c6c6; border-radius: 4px; padding: 4px 12px; font-weight: 700; font-size: 13px; margin: 4px 0 8px; }
  .context { color: #616061; font-size: 12px; display: flex; gap: 8px; }`;

const discordCss = `
  body { margin: 0; background: #313338; font: 16px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Arial, sans-serif; color: #dbdee1; }
  .msg { display: flex; gap: 16px; padding: 12px 16px; width: 600px; }
  .avatar { width: 40px; height: 40px; border-radius: 50%; background: #5865f2; color: #fff; font-weight: 700; display: grid; place-items: center; flex: none; }
  .who b { color: #f2f3f5; font-weight: 600; } .badge { font-size: 10px; background: #5865f2; color: #fff; padding: 1px 4px; border-radius: 3px; margin: 0 4px; font-weight: 600; }
  .time { color: #949ba4; font-size: 12px; }
  .embed { display: grid; background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 16px 12px; margin-top: 4px; max-width: 520px; }
  .title { color: #00a8fc; font-weight: 600; margin-top: 8px; } .description { font-size: 14px; margin-top: 8px; white-space: pre-wrap; }
  .fields { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; margin-top: 8px; font-size: 14px; }
  .fields .wide { grid-column: 1 / -1; } .fields b { display: block; color: #f2f3f5; font-weight: 600; } .fields span { word-break: break-all; }
  .link { color: #00a8fc; }
  .footer { color: #b5bac1; font-size: 12px; margin-top: 8px; }`;

/** Builds the Slack mock-up in the page; runs in the browser, so it only uses the DOM. */
function buildSlack(message: SlackMessage): void {
  const el = (tag: string, cls: string, text?: string): HTMLElement => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // Slack shows &lt; &gt; &amp; as the characters; <!date^…|fallback> as a local date; *x* as bold.
  const shown = (mrkdwn: string): string =>
    mrkdwn
      .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, (_m, iso: string) => new Date(iso).toUTCString().slice(5, 22))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const root = el('div', 'msg');
  root.append(el('div', 'avatar', 'LC'));
  const body = el('div', '');
  const who = el('div', 'who');
  who.append(el('b', '', 'Live chat'), el('span', 'badge', 'APP'), el('span', 'time', '12:00 PM'));
  body.append(who);
  for (const block of message.blocks) {
    if (block.type === 'header') body.append(el('div', 'header', block.text.text));
    if (block.type === 'section' && block.text) body.append(el('div', 'quote', shown(block.text.text).replace(/^>/gm, '')));
    if (block.type === 'section' && block.fields) {
      const grid = el('div', 'fields');
      for (const f of block.fields) {
        const [label = '', ...value] = shown(f.text).split('\n');
        const cell = el('div', '');
        cell.append(el('b', '', label.replace(/^\*|\*$/g, '')), el('span', '', value.join('\n')));
        grid.append(cell);
      }
      body.append(grid);
    }
    if (block.type === 'actions') for (const b of block.elements) body.append(el('div', 'button', b.text.text));
    if (block.type === 'context') {
      const ctx = el('div', 'context');
      for (const e of block.elements) ctx.append(el('span', '', shown(e.text)));
      body.append(ctx);
    }
  }
  root.append(body);
  document.body.append(root);
}

/** Builds the Discord mock-up in the page. */
function buildDiscord(message: DiscordMessage): void {
  const el = (tag: string, cls: string, text?: string): HTMLElement => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // Discord hides markdown's escaping backslashes and the zero-width spaces that break mentions.
  const shown = (markdown: string): string => markdown.replace(/\\(.)/g, '$1').replace(/\u200b/g, '');
  const root = el('div', 'msg');
  root.append(el('div', 'avatar', 'LC'));
  const body = el('div', '');
  const who = el('div', 'who');
  who.append(el('b', '', 'Live chat'), el('span', 'badge', 'APP'), el('span', 'time', 'Today at 12:00 PM'));
  body.append(who);
  for (const embed of message.embeds) {
    const box = el('div', 'embed');
    box.style.borderColor = `#${embed.color.toString(16).padStart(6, '0')}`;
    box.append(el('div', 'title', shown(embed.title)));
    if (embed.description) box.append(el('div', 'description', shown(embed.description)));
    const grid = el('div', 'fields');
    for (const f of embed.fields) {
      const cell = el('div', f.inline ? '' : 'wide');
      const value = el('span', /^https?:\/\//.test(f.value) ? 'link' : '', decodeURI(shown(f.value)));
      cell.append(el('b', '', shown(f.name)), value);
      grid.append(cell);
    }
    box.append(grid);
    const when = embed.timestamp ? ` • ${new Date(embed.timestamp).toUTCString().slice(5, 22)}` : '';
    box.append(el('div', 'footer', embed.footer.text + when));
    body.append(box);
  }
  root.append(body);
  document.body.append(root);
}

/** Renders both previews; answers the files written. */
export async function renderTargetPreviews(envelope: Envelope = sampleEnvelope, dir = outDir): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 700, height: 400 }, deviceScaleFactor: 2 });
    const shots: Array<[string, string, (page: import('playwright-core').Page) => Promise<void>]> = [
      ['slack-message.png', slackCss, (p) => p.evaluate(buildSlack, renderSlack(envelope, renderOptions))],
      ['discord-message.png', discordCss, (p) => p.evaluate(buildDiscord, renderDiscord(envelope, renderOptions))],
    ];
    const written: string[] = [];
    for (const [file, css, build] of shots) {
      // tsx (esbuild keepNames) wraps named functions in __name(); the page needs it to run ours.
      await page.setContent('<!doctype html><meta charset="utf-8"><style></style><script>window.__name = (fn) => fn;</script><body></body>');
      await page.evaluate((text) => {
        document.querySelector('style')!.textContent = text;
      }, css);
      await build(page);
      const path = join(dir, file);
      await page.locator('.msg').screenshot({ path });
      written.push(path);
    }
    return written;
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const path of await renderTargetPreviews()) console.log(`wrote ${path}`);
}
