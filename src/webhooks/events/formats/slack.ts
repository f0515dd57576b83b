import type { Envelope } from '../../../events.js';
import { summarise } from './summary.js';
import { fit } from './text.js';

/** Slack's documented limits (Block Kit reference, chat.postMessage). */
export const slackLimits = {
  text: 40_000,
  blocks: 50,
  header: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  buttonUrl: 3000,
} as const;

/** Our own cap on one field's value: long URLs and names stay readable. */
const fieldValueMax = 500;

type Text = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: 'header'; text: Text }
  | { type: 'section'; text?: Text; fields?: Text[] }
  | { type: 'actions'; elements: Array<{ type: 'button'; text: Text; url: string; action_id: string }> }
  | { type: 'context'; elements: Text[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  unfurl_links: boolean;
  unfurl_media: boolean;
}

/**
 * Slack's three control characters. Escaped, a visitor's `<!channel>`, `<@U123>` or `<http://evil|click>`
 * shows as typed instead of pinging or hiding a link.
 */
export function escapeSlack(ch: string): string {
  if (ch === '&') return '&amp;';
  if (ch === '<') return '&lt;';
  if (ch === '>') return '&gt;';
  return ch;
}

/** Block quote: every line of the message keeps the `>` marker. */
const quoteChar = (ch: string): string => (ch === '\n' ? '\n>' : escapeSlack(ch));

function slackDate(iso: string): string {
  const unix = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${unix}^{date_short_pretty} at {time}|${iso}>`;
}

/** An incoming-webhook message with Block Kit and a `text` fallback for notifications. */
export function renderSlack(envelope: Envelope, options: { publicUrl?: string }): SlackMessage {
  const s = summarise(envelope, options);
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: fit(s.title, slackLimits.header, escapeSlack), emoji: false } }];
  if (s.quote !== null && s.quote !== '') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `>${fit(s.quote, slackLimits.sectionText - 1, quoteChar)}` } });
  }
  if (s.fields.length > 0) {
    blocks.push({
      type: 'section',
      fields: s.fields.slice(0, slackLimits.fields).map((f) => ({
        type: 'mrkdwn' as const,
        text: fit(`*${f.label}*\n`, 100) + fit(f.value, Math.min(fieldValueMax, slackLimits.fieldText - 100), escapeSlack),
      })),
    });
  }
  if (s.link !== null && s.link.length <= slackLimits.buttonUrl) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open conversation' }, url: s.link, action_id: 'open_conversation' }],
    });
  }
  const context = [fit(s.footer, 500, escapeSlack), s.timestamp === null ? null : slackDate(s.timestamp)].filter((t) => t !== null);
  blocks.push({ type: 'context', elements: context.map((t) => ({ type: 'mrkdwn' as const, text: t })) });

  const linkTarget = s.link === null ? null : Array.from(s.link, escapeSlack).join('').replace(/\|/g, '%7C');
  const fallback = fit(s.headline, 3000, escapeSlack) + (linkTarget === null ? '' : ` <${linkTarget}|Open conversation>`);
  return {
    text: fit(fallback, slackLimits.text),
    blocks: blocks.slice(0, slackLimits.blocks),
    // Visitor-supplied page URLs must not be fetched by Slack's unfurler.
    unfurl_links: false,
    unfurl_media: false,
  };
}
