import { envelopeSchema, eventCatalog, type Envelope, type EventName } from '../../../src/events.js';
import { discordLimits, type DiscordEmbed, type DiscordMessage } from '../../../src/webhooks/events/formats/discord.js';
import { detectFormat, renderBody, webhookFormats } from '../../../src/webhooks/events/formats/index.js';
import { slackLimits, type SlackBlock, type SlackMessage } from '../../../src/webhooks/events/formats/slack.js';
import { fit } from '../../../src/webhooks/events/formats/text.js';

const conversation = {
  conversation_id: 42,
  visitor_name: 'Ada Lovelace',
  visitor_email: 'ada@example.com',
  visitor_phone: '+44 20 7946 0958',
  visitor_ip: '203.0.113.7',
  current_url: 'https://shop.example.com/pricing?plan=pro&x=1',
  status: 'open' as const,
  created_at: '2025-03-01T12:00:00.000Z',
};
const message = { ...conversation, message_id: 7, content: 'Hello, is the *pro* plan available?', is_from_admin: false, admin_name: null };

const samples: { [E in EventName]: Envelope<E>['data'] } = {
  'conversation.started': conversation,
  'message.received': message,
  'message.sent': { ...message, is_from_admin: true, admin_name: 'Grace' },
  'conversation.closed': { ...conversation, status: 'closed', closed_at: '2025-03-01T12:30:00.000Z' },
  'webhook.test': { message: 'This is a test delivery from live chat.', webhook_id: 3, webhook_name: 'Ops channel' },
  'webhook.disabled': {
    webhook_id: 3,
    webhook_name: 'Ops <channel>',
    reason: 'The receiver answered 410 Gone: the endpoint was removed. Fix the URL, then enable the webhook.',
    disabled_at: '2025-03-01T12:00:00.000Z',
  },
  'delivery.failed': {
    webhook_id: 3,
    webhook_name: 'Ops channel',
    delivery_id: '6f1c7a52-3f4e-4a4b-9c55-0c8a3c1d2e3f',
    event: 'message.received',
    attempts: 4,
    last_status_code: 503,
    last_error: 'HTTP 503 Service Unavailable',
    failed_at: '2025-03-01T12:42:00.000Z',
  },
};

function envelope<E extends EventName>(event: E, data: Partial<Envelope<E>['data']> = {}): Envelope {
  return {
    event,
    delivery_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    timestamp: '2025-03-01T12:00:01.000Z',
    data: { ...samples[event], ...data },
  } as Envelope;
}

const events = Object.keys(eventCatalog) as EventName[];
const publicUrl = 'https://chat.example.com/';
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function slack(env: Envelope, options = { publicUrl }): SlackMessage {
  return JSON.parse(renderBody('slack', env, options)) as SlackMessage;
}
function discord(env: Envelope, options = { publicUrl }): DiscordMessage {
  return JSON.parse(renderBody('discord', env, options)) as DiscordMessage;
}

/** Every text a Slack message shows, to check escaping across all of it. */
function slackTexts(m: SlackMessage): string[] {
  const out = [m.text];
  for (const b of m.blocks) {
    if (b.type === 'header') out.push(b.text.text);
    if (b.type === 'section') out.push(...(b.text ? [b.text.text] : []), ...(b.fields ?? []).map((f) => f.text));
    if (b.type === 'context') out.push(...b.elements.map((e) => e.text));
  }
  return out;
}

function expectValidSlack(m: SlackMessage): void {
  expect(typeof m.text).toBe('string');
  expect(m.text.length).toBeGreaterThan(0);
  expect(m.text.length).toBeLessThanOrEqual(slackLimits.text);
  expect(m.blocks.length).toBeGreaterThan(0);
  expect(m.blocks.length).toBeLessThanOrEqual(slackLimits.blocks);
  for (const b of m.blocks as SlackBlock[]) {
    if (b.type === 'header') {
      expect(b.text.type).toBe('plain_text');
      expect(b.text.text.length).toBeGreaterThan(0);
      expect(b.text.text.length).toBeLessThanOrEqual(slackLimits.header);
    } else if (b.type === 'section') {
      expect(b.text ?? b.fields).toBeDefined();
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(slackLimits.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(slackLimits.fields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(slackLimits.fieldText);
    } else if (b.type === 'context') {
      expect(b.elements.length).toBeGreaterThan(0);
      expect(b.elements.length).toBeLessThanOrEqual(slackLimits.contextElements);
    } else if (b.type === 'actions') {
      for (const e of b.elements) {
        expect(e.text.text.length).toBeLessThanOrEqual(slackLimits.buttonText);
        expect(() => new URL(e.url)).not.toThrow();
      }
    }
  }
  for (const t of slackTexts(m)) expect(t).not.toMatch(loneSurrogate);
}

function embedTotal(e: DiscordEmbed): number {
  return e.title.length + (e.description?.length ?? 0) + e.fields.reduce((n, f) => n + f.name.length + f.value.length, 0) + e.footer.text.length;
}

function expectValidDiscord(m: DiscordMessage): void {
  expect(m.allowed_mentions).toEqual({ parse: [] });
  expect(m.content !== undefined || m.embeds.length > 0).toBe(true);
  if (m.content !== undefined) expect(m.content.length).toBeLessThanOrEqual(discordLimits.content);
  expect(m.embeds.length).toBeLessThanOrEqual(discordLimits.embeds);
  for (const e of m.embeds) {
    expect(e.title.length).toBeGreaterThan(0);
    expect(e.title.length).toBeLessThanOrEqual(discordLimits.title);
    expect((e.description ?? '').length).toBeLessThanOrEqual(discordLimits.description);
    expect(e.fields.length).toBeLessThanOrEqual(discordLimits.fields);
    for (const f of e.fields) {
      expect(f.name.length).toBeGreaterThan(0);
      expect(f.name.length).toBeLessThanOrEqual(discordLimits.fieldName);
      expect(f.value.length).toBeGreaterThan(0);
      expect(f.value.length).toBeLessThanOrEqual(discordLimits.fieldValue);
    }
    expect(e.footer.text.length).toBeLessThanOrEqual(discordLimits.footer);
    expect(embedTotal(e)).toBeLessThanOrEqual(discordLimits.embedTotal);
    expect(Number.isInteger(e.color)).toBe(true);
    if (e.timestamp !== undefined) expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
    if (e.url !== undefined) expect(() => new URL(e.url!)).not.toThrow();
    for (const t of [e.title, e.description ?? '', e.footer.text, ...e.fields.flatMap((f) => [f.name, f.value])]) {
      expect(t).not.toMatch(loneSurrogate);
    }
  }
}

describe('detectFormat', () => {
  it.each([
    ['https://hooks.slack.com/services/T000/B000/XXXXXXXX', 'slack'],
    ['https://HOOKS.SLACK.COM/services/T000/B000/XXXXXXXX', 'slack'],
    ['https://hooks.slack-gov.com/services/T000/B000/XXXX', 'slack'],
    ['https://hooks.slack.com/workflows/T000/A000/1/abc', 'json'],
    ['https://slack.com/services/T000/B000/XXXX', 'json'],
    ['https://discord.com/api/webhooks/123/abc', 'discord'],
    ['https://discord.com/api/v10/webhooks/123/abc', 'discord'],
    ['https://discordapp.com/api/webhooks/123/abc', 'discord'],
    ['https://ptb.discord.com/api/webhooks/123/abc', 'discord'],
    ['https://canary.discord.com/api/webhooks/123/abc', 'discord'],
    ['https://discord.com/channels/1/2', 'json'],
    ['https://evil.example/hooks.slack.com/services/x', 'json'],
    ['https://hooks.slack.com.evil.example/services/x', 'json'],
    ['https://discord.com.evil.example/api/webhooks/1/a', 'json'],
    ['https://hooks.zapier.com/hooks/catch/1/abc/', 'json'],
    ['https://n8n.example.com/webhook/abc', 'json'],
    ['not a url', 'json'],
  ])('%s → %s', (url, format) => {
    expect(detectFormat(url)).toBe(format);
  });
});

describe('renderBody: every event in every format', () => {
  it('has a sample for every event in the catalog, each valid against the event schema', () => {
    for (const event of events) {
      expect(envelopeSchema.safeParse(envelope(event)).success).toBe(true);
      expect(eventCatalog[event].data.safeParse(envelope(event).data).success).toBe(true);
    }
  });

  it.each(events)('%s as json is exactly the envelope', (event) => {
    const env = envelope(event);
    const body = renderBody('json', env, { publicUrl });
    expect(body).toBe(JSON.stringify(env));
  });

  it.each(events)('%s as Slack has a text fallback and Block Kit within limits', (event) => {
    for (const options of [{ publicUrl }, {}]) {
      const m = slack(envelope(event), options as { publicUrl: string });
      expectValidSlack(m);
      expect(m.blocks[0]!.type).toBe('header');
      expect(m.unfurl_links).toBe(false);
    }
  });

  it.each(events)('%s as Discord has one embed within limits and no mentions', (event) => {
    for (const options of [{ publicUrl }, {}]) {
      const m = discord(envelope(event), options as { publicUrl: string });
      expectValidDiscord(m);
      expect(m.embeds).toHaveLength(1);
      expect(m.embeds[0]!.timestamp).toBe('2025-03-01T12:00:01.000Z');
    }
  });

  it('is deterministic, so every retry can resend the same bytes', () => {
    for (const format of webhookFormats) {
      for (const event of events) expect(renderBody(format, envelope(event), { publicUrl })).toBe(renderBody(format, envelope(event), { publicUrl }));
    }
  });
});

describe('Slack message content', () => {
  it('shows visitor, email, page, a message excerpt and a link to the conversation', () => {
    const m = slack(envelope('message.received'));
    const all = slackTexts(m).join('\n');
    expect(m.text).toContain('Ada Lovelace wrote in conversation #42: Hello, is the *pro* plan available?');
    expect(m.text).toContain('<https://chat.example.com/admin/conversations?id=42|Open conversation>');
    expect(all).toContain('ada@example.com');
    expect(all).toContain('https://shop.example.com/pricing?plan=pro&amp;x=1');
    expect(m.blocks).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '>Hello, is the *pro* plan available?' } });
    const actions = m.blocks.find((b) => b.type === 'actions');
    expect(actions).toMatchObject({ elements: [{ url: 'https://chat.example.com/admin/conversations?id=42' }] });
  });

  it('leaves the link out without PUBLIC_URL', () => {
    const m = slack(envelope('message.received'), {} as { publicUrl: string });
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(m.text).not.toContain('admin/conversations');
  });

  it('renders webhook.test with the webhook name and message', () => {
    const m = slack(envelope('webhook.test'));
    expect(m.text).toBe('Test from live chat: This is a test delivery from live chat.');
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Test message for Ops channel', emoji: false } });
    expect(slackTexts(m).join('\n')).toContain('Ops channel (#3)');
  });

  it('escapes mrkdwn control characters so a visitor cannot ping, link or mention', () => {
    const attack = '<!channel> <!here|here> <@U123ABC> <#C123> <http://evil.example|click me> & <b>';
    const m = slack(envelope('message.received', { content: attack, visitor_name: '<!everyone> Mallory' }));
    for (const t of slackTexts(m)) {
      expect(t).not.toMatch(/<!channel>|<!here|<@U123ABC>|<#C123>|<http:\/\/evil|<!everyone>|<b>/);
    }
    expect(m.blocks).toContainEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '>&lt;!channel&gt; &lt;!here|here&gt; &lt;@U123ABC&gt; &lt;#C123&gt; &lt;http://evil.example|click me&gt; &amp; &lt;b&gt;' },
    });
    expect(m.text.startsWith('&lt;!everyone&gt; Mallory wrote in conversation #42')).toBe(true);
  });

  it('keeps every line of a multi-line message inside the quote', () => {
    const m = slack(envelope('message.received', { content: 'line one\nline two\n> not a nested quote' }));
    expect(m.blocks).toContainEqual({ type: 'section', text: { type: 'mrkdwn', text: '>line one\n>line two\n>&gt; not a nested quote' } });
  });

  it('truncates oversized content with an ellipsis, never inside an escape or a surrogate pair', () => {
    const m = slack(envelope('message.received', { content: '&'.repeat(5000), visitor_name: 'V'.repeat(400) }));
    expectValidSlack(m);
    const quote = m.blocks.find((b) => b.type === 'section' && b.text) as { text: { text: string } };
    expect(quote.text.text.endsWith('&amp;…')).toBe(true);
    expect(quote.text.text.length).toBeLessThanOrEqual(3000);
    const header = m.blocks[0] as { text: { text: string } };
    expect(header.text.text).toHaveLength(150);
    expect(header.text.text.endsWith('…')).toBe(true);

    const emoji = slack(envelope('message.received', { content: '😀'.repeat(3000) }));
    expectValidSlack(emoji);
  });
});

describe('Discord message content', () => {
  it('shows visitor, email, page, the message and links to the conversation', () => {
    const [e] = discord(envelope('message.received')).embeds;
    expect(e!.title).toBe('New message from Ada Lovelace');
    expect(e!.description).toBe('Hello, is the \\*pro\\* plan available?');
    expect(e!.url).toBe('https://chat.example.com/admin/conversations?id=42');
    expect(e!.fields).toContainEqual({ name: 'Email', value: 'ada@example.com', inline: true });
    expect(e!.fields.map((f) => f.name)).toEqual(['Visitor', 'Email', 'Phone', 'Page']);
    expect(e!.footer.text).toBe('message.received · conversation #42 · delivery 0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('shows the page as a clickable URL with markdown characters percent-encoded', () => {
    const [e] = discord(envelope('message.received', { current_url: 'https://user:pw@shop.example.com/a_b/(x)?q=*y*#top' })).embeds;
    expect(e!.fields).toContainEqual({ name: 'Page', value: 'https://shop.example.com/a%5Fb/%28x%29?q=%2Ay%2A#top', inline: false });
    const [plain] = discord(envelope('message.received', { current_url: 'not a [url](http://evil)' })).embeds;
    expect(plain!.fields).toContainEqual({ name: 'Page', value: 'not a \\[url\\]\\(http://evil\\)', inline: false });
  });

  it('renders webhook.test', () => {
    const [e] = discord(envelope('webhook.test')).embeds;
    expect(e!.title).toBe('Test message for Ops channel');
    expect(e!.description).toBe('This is a test delivery from live chat.');
    expect(e!.fields).toEqual([{ name: 'Webhook', value: 'Ops channel \\(#3\\)', inline: true }]);
    expect(e!.url).toBeUndefined();
  });

  it('neutralises @everyone, @here, user/role/channel mentions and masked links', () => {
    const attack = '@everyone @here <@123456789> <@&987> <#555> [click](http://evil.example) ||spoiler|| # not a heading\n# Big\n  > quote\n-# small';
    const m = discord(envelope('message.sent', { content: attack, admin_name: '@here Admin', visitor_name: '[x](http://evil)' }));
    expectValidDiscord(m);
    const all = JSON.stringify(m);
    expect(all).not.toMatch(/@everyone|@here|<@123456789>|<@&987>|<#555>|\[click\]\(http|\[x\]\(http|\|\|spoiler/);
    expect(m.embeds[0]!.description).toBe(
      '@\u200beveryone @\u200bhere <\u200b@123456789> <\u200b@&987> <\u200b#555> \\[click\\]\\(http://evil.example\\) \\|\\|spoiler\\|\\| # not a heading\n\\# Big\n  \\> quote\n\\-# small',
    );
  });

  it('truncates oversized content with an ellipsis and keeps the whole embed under 6000', () => {
    const long = discord(
      envelope('message.received', {
        content: '*'.repeat(5000),
        visitor_name: 'N'.repeat(1000),
        visitor_email: `${'e'.repeat(2000)}@example.com`,
        current_url: `https://example.com/${'p'.repeat(2000)}`,
      }),
    );
    expectValidDiscord(long);
    const [e] = long.embeds;
    expect(e!.description!.endsWith('\\*…')).toBe(true);
    expect(e!.title.endsWith('…')).toBe(true);
    expect(e!.fields.every((f) => f.value.length <= 256)).toBe(true);

    const emoji = discord(envelope('message.received', { content: '😀'.repeat(3000) }));
    expectValidDiscord(emoji);
    expect(emoji.embeds[0]!.description!.endsWith('…')).toBe(true);
  });

  it('never sends an empty field value', () => {
    const [e] = discord(envelope('conversation.started', { visitor_name: null, visitor_email: null, visitor_phone: null, current_url: null })).embeds;
    expect(e!.fields.every((f) => f.value === '—' || f.value.length > 0)).toBe(true);
    expect(e!.title).toBe('New conversation from Anonymous visitor');
  });
});

describe('renderers tolerate stored payloads with odd or missing fields', () => {
  it.each(webhookFormats)('%s', (format) => {
    const odd = { event: 'message.received', delivery_id: 'x', timestamp: 'not a date', data: { content: 12, visitor_name: { a: 1 } } } as unknown as Envelope;
    const body = renderBody(format, odd, { publicUrl: 'javascript:alert(1)' });
    expect(() => JSON.parse(body)).not.toThrow();
    expect(body).not.toContain('javascript:');
  });
});

describe('fit', () => {
  it('keeps short text, cuts long text with an ellipsis at the limit', () => {
    expect(fit('abc', 3)).toBe('abc');
    expect(fit('abcd', 3)).toBe('ab…');
    expect(fit('ab  cd', 5)).toBe('ab…');
    expect(fit('anything', 0)).toBe('');
    expect(fit('<<<<', 9, (c) => (c === '<' ? '&lt;' : c))).toBe('&lt;&lt;…');
    expect(fit('😀😀😀', 4)).toBe('😀…');
  });
});
