import { ok } from '../../chat/clients.js';
import { dialects } from '../../support/databases.js';
import { messageData } from '../../support/engine-rig.js';
import { chatEvents, startTargetRig, visitorSays, type TargetRig } from './rig.js';

/**
 * Every event, rendered as Slack Block Kit and as a Discord embed, is accepted by fakes that
 * validate the way Slack and Discord do; long messages are cut to their limits; markup is inert.
 */
describe.each(dialects)('Slack and Discord messages on %s', (dialect) => {
  let rig: TargetRig;

  beforeAll(async () => {
    // A loose Discord limit: this file is about content, pacing.test.ts about rate limits.
    rig = await startTargetRig(dialect, {}, { limit: 100 });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => rig.reset());

  it('renders all four chat events and webhook.test, and both services accept every one', async () => {
    const slackId = await rig.createWebhook('slack');
    const discordId = await rig.createWebhook('discord');
    const visitor = await rig.visitor();
    const agent = await rig.agent();

    const started = await ok(visitor, 'conversation:start', { name: 'Ada Lovelace', email: 'ada@example.com', current_url: 'https://shop.example/pricing' });
    const conversationId = started.conversation_id as number;
    await visitorSays(visitor, 'Hi! Is the pro plan available?');
    await ok(agent, 'message:send', { conversation_id: conversationId, content: 'Yes, from today.' });
    await ok(agent, 'conversation:close', { conversation_id: conversationId });
    for (const id of [slackId, discordId]) {
      const test = await rig.api.post(`/webhooks/${id}/test`);
      expect(test.status).toBe(200);
      expect(test.body.data).toMatchObject({ success: true, status_code: id === slackId ? 200 : 204 });
    }

    await rig.slackReceiver.waitFor(5);
    await rig.discordReceiver.waitFor(5);
    const all = [...chatEvents, 'webhook.test'].sort();
    expect(rig.slack.answers.map((a) => a.event).sort()).toEqual(all);
    expect(rig.discord.answers.map((a) => a.event).sort()).toEqual(all);
    expect(rig.slack.answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(rig.discord.answers.filter((a) => a.status !== 204)).toEqual([]);

    // What arrives is each service's own message, not our envelope.
    const slackMessage = rig.slack.answers.find((a) => a.event === 'message.received')!.message;
    expect(slackMessage).not.toHaveProperty('event');
    expect(slackMessage.text).toContain('Hi! Is the pro plan available?');
    expect(slackMessage.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'New message from Ada Lovelace', emoji: false } });
    const embed = rig.discord.answers.find((a) => a.event === 'message.sent')!.message.embeds[0];
    expect(embed).toMatchObject({ description: 'Yes, from today.', color: expect.any(Number) });
    expect(embed.fields).toContainEqual({ name: 'Visitor', value: 'Ada Lovelace', inline: true });

    for (const id of [slackId, discordId]) {
      const logs = await pollDeliveries(rig, id, 5);
      expect(logs.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'delivered']);
      expect(logs.every((d) => d.attempt_number === 1)).toBe(true);
    }
  });

  it('cuts a 6,000-character visitor message to each service’s limits, ending with an ellipsis, and both accept it', async () => {
    await rig.createWebhook('slack', { events: ['message.received'] });
    await rig.createWebhook('discord', { events: ['message.received'] });
    // The widget caps messages at 5,000 characters (SPEC §3), so a longer one (from another host
    // server, or a stored payload) comes in on the hook bus itself.
    const long = 'word '.repeat(1200).trim() + ' END';
    expect(long.length).toBeGreaterThan(6000);
    await rig.t.server.hooks.emit('message.received', messageData(long));

    await rig.slackReceiver.waitFor(1);
    await rig.discordReceiver.waitFor(1);
    expect(rig.slack.answers).toMatchObject([{ status: 200 }]);
    expect(rig.discord.answers).toMatchObject([{ status: 204 }]);

    const quote = rig.slack.answers[0]!.message.blocks.find((b: any) => b.type === 'section' && b.text)!.text.text as string;
    expect(quote.length).toBeLessThanOrEqual(3000);
    expect(quote.length).toBeGreaterThan(2900);
    expect(quote.endsWith('…')).toBe(true);
    expect(quote).not.toContain('END');

    const embed = rig.discord.answers[0]!.message.embeds[0];
    expect(embed.description.length).toBeLessThanOrEqual(4096);
    expect(embed.description.length).toBeGreaterThan(3500);
    expect(embed.description.endsWith('…')).toBe(true);
    const total = embed.title.length + embed.description.length + embed.footer.text.length + embed.fields.reduce((n: number, f: any) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
  });

  it('neutralises mentions and markup a visitor types: nothing pings, no link is masked', async () => {
    await rig.createWebhook('slack', { events: ['message.received'] });
    await rig.createWebhook('discord', { events: ['message.received'] });
    const visitor = await rig.visitor();
    await visitorSays(visitor, 'Hey <!channel> <!here> <@U0123> @everyone @here click [x](http://evil) now');

    await rig.slackReceiver.waitFor(1);
    await rig.discordReceiver.waitFor(1);
    expect(rig.slack.answers).toMatchObject([{ status: 200 }]);
    expect(rig.discord.answers).toMatchObject([{ status: 204 }]);

    const slackRaw = rig.slackReceiver.requests[0]!.text();
    // Slack parses <!channel>, <!here>, <@U…> and <url|label> in mrkdwn and in the fallback text.
    expect(slackRaw).not.toMatch(/<!channel>|<!here>|<@U0123>|<http:\/\/evil/);
    const slack = rig.slack.answers[0]!.message;
    expect(slack.blocks.find((b: any) => b.type === 'section' && b.text).text.text).toBe(
      '>Hey &lt;!channel&gt; &lt;!here&gt; &lt;@U0123&gt; @everyone @here click [x](http://evil) now',
    );
    expect(slack.text).toContain('&lt;!channel&gt;');
    expect(slack).toMatchObject({ unfurl_links: false, unfurl_media: false });

    const discord = rig.discord.answers[0]!.message;
    const description = discord.embeds[0].description as string;
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(rig.discordReceiver.requests[0]!.text()).not.toMatch(/@everyone|@here|<@U0123>|\[x\]\(http/);
    expect(description).toContain('@\u200beveryone @\u200bhere');
    expect(description).toContain('\\[x\\]\\(http://evil\\)');
    expect(description).toContain('<\u200b@U0123>');
  });
});

/** The webhook's delivery log once it holds `count` rows that are no longer pending. */
async function pollDeliveries(rig: TargetRig, id: number, count: number): Promise<any[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const logs = await rig.deliveries(id);
    if (logs.length >= count && logs.every((d) => d.status !== 'pending')) return logs;
    if (Date.now() > deadline) throw new Error(`deliveries of webhook ${id} still pending: ${JSON.stringify(logs)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
