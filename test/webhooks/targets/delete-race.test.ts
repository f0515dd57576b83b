import { dialects } from '../../support/databases.js';
import { startTargetRig, visitorSays, type TargetRig } from './rig.js';

const ROUNDS = 15;

/**
 * An admin deletes a webhook the moment Slack has answered one of its deliveries, while the engine
 * records that attempt. The delete must win or wait, never answer 500 (found by these target tests:
 * on MariaDB the two transactions can deadlock).
 */
describe.each(dialects)('deleting a webhook while its attempt is recorded on %s', (dialect) => {
  let rig: TargetRig;

  beforeAll(async () => {
    rig = await startTargetRig(dialect, {}, { limit: 1000 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it(`answers 204 every time (${ROUNDS} rounds)`, async () => {
    const visitor = await rig.visitor();
    const statuses: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const id = await rig.createWebhook(i % 2 === 0 ? 'slack' : 'discord', { events: ['message.received'] });
      const receiver = i % 2 === 0 ? rig.slackReceiver : rig.discordReceiver;
      const seen = receiver.requests.length;
      await visitorSays(visitor, `round ${i}`);
      await receiver.waitFor(seen + 1);
      const res = await rig.api.delete(`/webhooks/${id}`);
      statuses.push(res.status === 204 ? '204' : `${res.status} ${res.text.slice(0, 120)}`);
    }
    expect(statuses.filter((s) => s !== '204')).toEqual([]);
    expect((await rig.api.get('/webhooks')).body.data).toEqual([]);
  });
});
