import type { Envelope } from '../../../events.js';
import { summarise } from './summary.js';
import { fit } from './text.js';

/** Discord's documented limits (Execute Webhook, Embed Limits). */
export const discordLimits = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
} as const;

/** Our own cap on one field's value, leaving most of the 6000-character budget to the message. */
const fieldValueMax = 256;

export interface DiscordEmbed {
  title: string;
  description?: string;
  url?: string;
  color: number;
  timestamp?: string;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
}

export interface DiscordMessage {
  content?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: [] };
}

/** Markdown that works anywhere in a line. */
const inline = new Set(['\\', '*', '_', '~', '`', '|', '[', ']', '(', ')']);
/** Markdown that only works at the start of a line: headings, subtext (-#), lists, quotes. */
const lineStart = new Set(['#', '-', '>']);

function atLineStart(index: number, chars: readonly string[]): boolean {
  for (let i = index - 1; i >= 0; i--) {
    const ch = chars[i]!;
    if (ch === '\n') return true;
    if (ch !== ' ' && ch !== '\t') return false;
  }
  return true;
}

/**
 * Escapes Discord markdown with backslashes (so `[x](http://evil)` cannot mask a link and `||`, `# `,
 * `> ` cannot restyle the message) and breaks mention syntax (`<@id>`, `<#id>`, `<t:…>`) with a
 * zero-width space after `<`.
 */
export function escapeDiscordChar(ch: string, index: number, chars: readonly string[]): string {
  if (inline.has(ch) || (lineStart.has(ch) && atLineStart(index, chars))) return `\\${ch}`;
  if (ch === '<') return '<\u200b';
  return ch;
}

/** @everyone and @here never ping (allowed_mentions forbids it too) and do not even look like mentions. */
export function neutraliseMentions(value: string): string {
  return value.replace(/@(everyone|here)/gi, '@\u200b$1');
}

const safe = (value: string, max: number): string => fit(neutraliseMentions(value), max, escapeDiscordChar);

/**
 * A visitor-supplied http(s) address as a clickable, unescaped URL: characters markdown or mentions
 * could use are percent-encoded instead (equivalent in a URL). Anything else is shown as text.
 */
function safeUrl(value: string, max: number): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return safe(value, max);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return safe(value, max);
  url.username = '';
  url.password = '';
  const encoded = url.href.replace(/[*_~`|()[\]<>\\@]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return fit(encoded, max);
}

function embedLength(embed: DiscordEmbed): number {
  const fields = embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  return embed.title.length + (embed.description?.length ?? 0) + fields + embed.footer.text.length;
}

/** An Execute Webhook body: one embed, no pings. */
export function renderDiscord(envelope: Envelope, options: { publicUrl?: string }): DiscordMessage {
  const s = summarise(envelope, options);
  const embed: DiscordEmbed = {
    title: safe(s.title, discordLimits.title),
    color: s.color,
    fields: s.fields.slice(0, discordLimits.fields).map((f) => ({
      name: safe(f.label, discordLimits.fieldName),
      // Discord refuses empty field values.
      value: (f.url ? safeUrl : safe)(f.value, Math.min(fieldValueMax, discordLimits.fieldValue)) || '—',
      inline: f.label !== 'Page',
    })),
    // Footers show no markdown, and ours holds only event name and ids: no escaping to show as backslashes.
    footer: { text: fit(s.footer, discordLimits.footer) },
  };
  if (s.link !== null) embed.url = s.link;
  if (s.timestamp !== null) embed.timestamp = s.timestamp;
  if (s.quote !== null && s.quote !== '') {
    const room = discordLimits.embedTotal - embedLength(embed);
    embed.description = safe(s.quote, Math.min(discordLimits.description, room));
  }
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}
