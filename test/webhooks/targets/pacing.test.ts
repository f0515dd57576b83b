import { dialects } from '../../support/databases.js';
import { startTargetRig, visitorSays, type TargetRig } from './rig.js';

const BURST = 6;
/** Discord's per-webhook bucket, scaled down so the test takes a second or two: 2 requests per 500 ms. */
const bucket = { limit: 2, windowMs: 500 };

/** 429s and rate-limit headers from Slack and Discord: the engine waits as long as it is told. */
describe.each(dialects)('Slack and Discord rate limits on %s', (dialect) => {
  let rig: TargetRig;

  beforeAll(async () => {
    rig = await startTargetRig(dialect, {}, bucket);
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => rig.reset());

  it('waits at least Slack’s Retry-After after a 429, then delivers', async () => {
    const id = await rig.createWebhook('slack', { query: 'limit=once', events: ['message.received'] });
    await visitorSays(await rig.visitor(), 'Hello');
    const [first, second] = await rig.slackReceiver.waitFor(2, 5000);
    expect(rig.slack.answers.map((a) => a.status)).toEqual([429, 200]);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000);
    expect(await deliveredAll(rig, id, 1)).toMatchObject([{ status: 'delivered', attempt_number: 2 }]);
  });

  it('waits at least Discord’s JSON retry_after (0.3 s, no Retry-After header) after a 429, then delivers', async () => {
    const id = await rig.createWebhook('discord', { query: 'limit=once', events: ['message.received'] });
    await visitorSays(await rig.visitor(), 'Hello');
    const [first, second] = await rig.discordReceiver.waitFor(2, 5000);
    expect(rig.discord.answers.map((a) => a.status)).toEqual([429, 204]);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(300);
    expect(await deliveredAll(rig, id, 1)).toMatchObject([{ status: 'delivered', attempt_number: 2 }]);
  });

  it(`paces a burst of ${BURST} messages by X-RateLimit-Remaining and Reset-After: Discord never answers 429`, async () => {
    const id = await rig.createWebhook('discord', { events: ['message.received'] });
    const visitor = await rig.visitor();
    for (let i = 1; i <= BURST; i++) await visitorSays(visitor, `burst ${i}`);
    await rig.discordReceiver.waitFor(BURST, 8000);
    const logs = await deliveredAll(rig, id, BURST);
    expect(logs.map((d) => d.status)).toEqual(Array(BURST).fill('delivered'));
    // Each request in arrival order, as "status@ms since the first": a 429 names the request the engine should have held back.
    const t0 = rig.discord.answers[0]!.receivedAt;
    const timeline = rig.discord.answers.map((a) => `${a.status}@${a.receivedAt - t0}`);
    expect({ timeline }).toEqual({ timeline: expect.not.arrayContaining([expect.stringMatching(/^429/)]) });
    expect(rig.discordReceiver.requests).toHaveLength(BURST);
  });
});

/** The webhook's `count` deliveries once none is pending (8 s at most). */
async function deliveredAll(rig: TargetRig, id: number, count: number): Promise<any[]> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const logs = await rig.deliveries(id);
    if (logs.length >= count && logs.every((d) => d.status !== 'pending')) return logs;
    if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(logs.map((d) => [d.status, d.attempt_number]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
