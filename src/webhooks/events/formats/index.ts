import type { Envelope } from '../../../events.js';
import { renderDiscord } from './discord.js';
import { renderJson } from './json.js';
import { renderSlack } from './slack.js';

/** The body a webhook receives: our envelope, or Slack's or Discord's own message JSON (SPEC §6). */
export type WebhookFormat = 'json' | 'slack' | 'discord';

export const webhookFormats: readonly WebhookFormat[] = ['json', 'slack', 'discord'];

export interface RenderOptions {
  /** PUBLIC_URL; when set, messages link back to the conversation in the admin console. */
  publicUrl?: string;
}

const slackHosts = new Set(['hooks.slack.com', 'hooks.slack-gov.com']);
const discordHosts = new Set([
  'discord.com',
  'ptb.discord.com',
  'canary.discord.com',
  'discordapp.com',
  'ptb.discordapp.com',
  'canary.discordapp.com',
]);

/**
 * The format a URL most likely wants: Slack incoming webhooks (hooks.slack.com/services/…),
 * Discord webhooks (discord.com/api/webhooks/…, also ptb./canary. and discordapp.com), else json.
 */
export function detectFormat(url: string): WebhookFormat {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'json';
  }
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (slackHosts.has(host) && parsed.pathname.startsWith('/services/')) return 'slack';
  if (discordHosts.has(host) && /^\/api(\/v\d+)?\/webhooks\//.test(parsed.pathname)) return 'discord';
  return 'json';
}

/** The exact request body for a webhook of this format; pure, so every retry can store and resend it. */
export function renderBody(format: WebhookFormat, envelope: Envelope, options: RenderOptions = {}): string {
  switch (format) {
    case 'slack':
      return JSON.stringify(renderSlack(envelope, options));
    case 'discord':
      return JSON.stringify(renderDiscord(envelope, options));
    default:
      return renderJson(envelope);
  }
}
