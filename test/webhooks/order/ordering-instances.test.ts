import type { Socket } from 'socket.io-client';
import { connectAgent } from '../../chat/clients.js';
import { createTestDatabase, type TestDatabase } from '../../support/databases.js';
import { chat, orderingEnv, orderReport, subscribeToAll, startOrderingReceiver, waitForAll, type OrderingReceiver } from '../../support/ordering-rig.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';

/**
 * SPEC §5 "Order" across two instances on one MariaDB: each conversation's visitor writes through
 * one instance while the agent answers through the other and then the first, so its events are
 * committed, fanned out and sent by both; the receiver must still accept them in order.
 */
const CONVERSATIONS = 30;
const MESSAGES = 3;

describe.each(['thread', 'inline'] as const)('order per conversation across two instances on mysql (%s)', (mode) => {
  let db: TestDatabase;
  const instances: TestServer[] = [];
  const agents: Socket[] = [];
  let r: OrderingReceiver;

  beforeAll(async () => {
    r = await startOrderingReceiver({ jitterMs: 40, failEvery: 4 });
    db = await createTestDatabase('mysql');
    // One after the other: the second finds the tables the first migrated.
    for (let i = 0; i < 2; i++) instances.push(await startTestServer('mysql', { ...orderingEnv, WEBHOOK_WORKER: mode }, db.url));
    for (const instance of instances) agents.push(await connectAgent(instance.url, { apiKey: TEST_API_KEY, name: 'Alice' }));
    await subscribeToAll(instances[0]!.url, r);
  }, 60_000);
  afterAll(async () => {
    for (const agent of agents) agent.close();
    for (const instance of instances) await instance.stop();
    await db?.drop();
    await r?.receiver.close();
  });

  it('keeps each conversation in order when its events go through both instances', async () => {
    const runs = await Promise.all(
      Array.from({ length: CONVERSATIONS }, (_, i) => chat(instances[i % 2]!.url, (step) => agents[(i + step) % 2]!, `${i}`, MESSAGES)),
    );
    await waitForAll(r, CONVERSATIONS * (2 + 2 * MESSAGES), 120_000);
    for (const run of runs) run.close();
    const report = orderReport(r, runs);
    const senders = new Set(r.receiver.requests.map((q) => q.headers['x-webhook-delivery']));
    console.log(`[two instances, ${mode}] ${report.outOfOrder} of ${report.conversations} conversations out of order, ${report.overtakes} overtaking requests, ${r.failedFirst()} first attempts failed, ${senders.size} deliveries`);
    expect(r.failedFirst()).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
    expect(report).toMatchObject({ outOfOrder: 0, overtakes: 0 });
  }, 180_000);
});
