import { dialects } from '../../support/databases.js';
import { startTargetRig, visitorSays, type TargetRig } from './rig.js';

/**
 * Answers from Slack and Discord that mean "this webhook is dead" stop after one attempt and
 * disable the webhook with a reason the admin reads; a run of ordinary failures disables it by
 * the health rule, and enabling it again sends what was held.
 */
describe.each(dialects)('Slack and Discord refusals on %s', (dialect) => {
  let rig: TargetRig;

  beforeAll(async () => {
    rig = await startTargetRig(dialect, { WEBHOOK_DISABLE_AFTER_FAILURES: '3' }, { limit: 100 });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => rig.reset());

  const refusals = [
    ['slack', 'channel_not_found', 404, /Slack answered channel_not_found/],
    ['slack', 'channel_is_archived', 410, /Slack answered channel_is_archived/],
    ['slack', 'action_prohibited', 403, /Slack answered action_prohibited/],
    ['discord', 'unknown_webhook', 404, /Discord answered Unknown Webhook/],
    ['discord', 'invalid_token', 401, /Discord answered Invalid Webhook Token/],
  ] as const;

  it('makes exactly one attempt on each permanent refusal and disables the webhook with the reason', async () => {
    const ids = new Map<number, (typeof refusals)[number]>();
    for (const r of refusals) ids.set(await rig.createWebhook(r[0], { query: `refuse=${r[1]}`, events: ['message.received'] }), r);
    const visitor = await rig.visitor();
    await visitorSays(visitor, 'Anyone there?');

    for (const [id, [, token, status, reason]] of ids) {
      const webhook = await rig.waitForWebhook(id, (w) => w.is_active === false);
      expect(webhook.disabled_reason).toMatch(reason);
      expect(webhook.disabled_at).toEqual(expect.any(String));
      const [delivery, ...more] = await rig.deliveries(id);
      expect(more).toEqual([]);
      // failed for good after one attempt: no retry is scheduled, none will be sent.
      expect(delivery).toMatchObject({ status: 'failed', attempt_number: 1, last_status_code: status, next_attempt_at: null });
      expect(delivery.last_error).toContain(token === 'unknown_webhook' ? '10015' : token === 'invalid_token' ? '50027' : token);
    }
    expect(rig.slackReceiver.requests).toHaveLength(3);
    expect(rig.discordReceiver.requests).toHaveLength(2);

    // Disabled webhooks get nothing more.
    await visitorSays(visitor, 'Hello?');
    await new Promise((r) => setTimeout(r, 300));
    expect(rig.slackReceiver.requests).toHaveLength(3);
    expect(rig.discordReceiver.requests).toHaveLength(2);
    for (const id of ids.keys()) expect(await rig.deliveries(id)).toHaveLength(1);
  });

  it('disables after WEBHOOK_DISABLE_AFTER_FAILURES failed deliveries; enabling it again sends the held delivery', async () => {
    const id = await rig.createWebhook('slack', { events: ['message.received'] });
    rig.slack.down = true;
    const visitor = await rig.visitor();
    for (const n of [1, 2, 3]) await visitorSays(visitor, `failing ${n}`);
    // Three attempts of each (the first and two retries) have arrived: one retry each is left.
    await rig.slackReceiver.waitFor(9, 8000);
    // This one fails its first attempt while the others fail their last: its retries are held by the disable.
    await visitorSays(visitor, 'held while disabled');

    const webhook = await rig.waitForWebhook(id, (w) => w.is_active === false);
    expect(webhook.disabled_reason).toMatch(/Disabled after 3 consecutive failed deliveries/);
    const logs = await rig.deliveries(id);
    expect(logs).toHaveLength(4);
    expect(logs.filter((d) => d.status === 'failed')).toHaveLength(3);
    const held = logs.find((d) => d.status === 'pending');
    expect(held).toBeDefined();

    // Held, not dropped: nothing goes out while disabled, even once its retry is due.
    rig.slack.down = false;
    const before = rig.slackReceiver.requests.length;
    await new Promise((r) => setTimeout(r, 1300));
    expect(rig.slackReceiver.requests).toHaveLength(before);

    const res = await rig.api.put(`/webhooks/${id}`, { is_active: true });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ is_active: true, disabled_reason: null });
    await rig.slackReceiver.waitFor(before + 1);
    const sent = rig.slack.answers.at(-1)!;
    expect(sent).toMatchObject({ status: 200, event: 'message.received' });
    expect(sent.message.text).toContain('held while disabled');
    const deadline = Date.now() + 5000;
    while ((await rig.deliveries(id)).find((d) => d.delivery_id === held.delivery_id).status !== 'delivered') {
      if (Date.now() > deadline) throw new Error('held delivery never marked delivered');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
