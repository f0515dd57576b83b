import type { Socket } from 'socket.io-client';
import { connectAgent } from '../../chat/clients.js';
import { chat, orderingEnv, orderReport, subscribeToAll, startOrderingReceiver, waitForAll, type OrderingReceiver } from '../../support/ordering-rig.js';
import type { TestDialect } from '../../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';

/**
 * SPEC §5 "Order", tried from outside: 20 chats at once through real sockets, a receiver that
 * answers after 0–40 ms and fails every fifth first attempt (so retries come into play), and per
 * conversation the exact sequence of accepted events compared with what happened.
 */
const CONVERSATIONS = 20;
const MESSAGES = 3;
const EVENTS_PER_CONVERSATION = 2 + 2 * MESSAGES;


const modes: [TestDialect, 'inline' | 'thread'][] = [
  ['sqlite', 'inline'],
  ['mysql', 'inline'],
  ['mysql', 'thread'],
];

describe.each(modes)('order per conversation on %s (%s)', (dialect, mode) => {
  let t: TestServer;
  let agent: Socket;
  let r: OrderingReceiver;

  beforeAll(async () => {
    r = await startOrderingReceiver({ jitterMs: 40, failEvery: 5 });
    t = await startTestServer(dialect, { ...orderingEnv, WEBHOOK_WORKER: mode });
    agent = await connectAgent(t.url, { apiKey: TEST_API_KEY, name: 'Alice' });
    await subscribeToAll(t.url, r);
  }, 60_000);
  afterAll(async () => {
    agent?.close();
    await t?.stop();
    await r?.receiver.close();
  });

  it('delivers each conversation in the order it happened, through failed first attempts and retries', async () => {
    const runs = await Promise.all(Array.from({ length: CONVERSATIONS }, (_, i) => chat(t.url, agent, `${i}`, MESSAGES)));
    await waitForAll(r, CONVERSATIONS * EVENTS_PER_CONVERSATION, 120_000);
    for (const run of runs) run.close();
    const report = orderReport(r, runs);
    console.log(`[${dialect} ${mode}] ${report.outOfOrder} of ${report.conversations} conversations out of order, ${report.overtakes} overtaking requests, ${r.failedFirst()} first attempts failed`);
    expect(r.failedFirst()).toBeGreaterThan(0);
    expect(report.examples).toEqual([]);
    expect(report).toMatchObject({ outOfOrder: 0, overtakes: 0 });
  }, 180_000);
});
