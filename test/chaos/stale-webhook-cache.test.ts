import { apiClient } from './support/api.js';
import { sleep, waitUntil } from './support/child-server.js';
import { tally } from './support/figures.js';
import { startLedger } from './support/ledger.js';
import { ChaosStack, TEST_API_KEY } from './support/stack.js';
import { VisitorLoad } from './support/visitors.js';

/**
 * Two instances, no fault at all. B has chat traffic before any webhook exists (its cache of
 * enabled webhooks is filled, empty); the webhook is then created through A. Every message B
 * acknowledges after that must reach the receiver.
 */
test('a webhook created on one instance gets the events of the other at once', async () => {
  const stack = await ChaosStack.create();
  const ledger = await startLedger(() => ({ status: 200 }));
  try {
    const a = await stack.server('instance-a');
    const b = await stack.server('instance-b');
    await a.start();
    await b.start();
    const prefix = `stale-${Date.now()}`;
    // One message on B before the webhook exists: ordinary traffic, nothing to deliver yet.
    const warm = new VisitorLoad({ urls: [b.url], visitors: 1, prefix: `${prefix}-warm`, pauseMs: 50 });
    warm.start();
    await waitUntil(() => warm.figures.acked.size >= 1, 10_000, 20);
    await warm.stop();

    await apiClient(a.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });
    const load = new VisitorLoad({ urls: [b.url], visitors: 2, prefix: `${prefix}-b`, pauseMs: 50 });
    load.start();
    await sleep(3000);
    const figures = await load.stop();
    await waitUntil(() => tally(figures, ledger).lost === 0, 15_000, 200);
    const { lostContents, ...counts } = tally(figures, ledger);
    console.log(JSON.stringify({ ...counts, lostExamples: lostContents.slice(0, 4) }));
    expect(counts.lost).toBe(0);
  } finally {
    await ledger.close();
    await stack.dispose();
  }
});

/** B's cache holds the webhook; its URL is then changed through A. B's later events must go to the new URL. */
test('a URL changed on one instance is used by the other at once (first attempts)', async () => {
  const stack = await ChaosStack.create();
  const oldReceiver = await startLedger(() => ({ status: 200 }));
  const newReceiver = await startLedger(() => ({ status: 200 }));
  try {
    const a = await stack.server('instance-a');
    const b = await stack.server('instance-b');
    await a.start();
    await b.start();
    const api = apiClient(a.url, TEST_API_KEY);
    const id = await api.createWebhook({ name: 'moving', url: oldReceiver.url, events: ['message.received'] });
    const prefix = `moved-${Date.now()}`;
    const warm = new VisitorLoad({ urls: [b.url], visitors: 1, prefix: `${prefix}-warm`, pauseMs: 50 });
    warm.start();
    await waitUntil(() => oldReceiver.deliveredContents('message.received').size >= 1, 10_000, 20);
    await warm.stop();

    const put = await api.request('PUT', `/webhooks/${id}`, { url: newReceiver.url });
    expect(put.status).toBe(200);
    const load = new VisitorLoad({ urls: [b.url], visitors: 2, prefix: `${prefix}-b`, pauseMs: 50 });
    load.start();
    await sleep(2000);
    const figures = await load.stop();
    await waitUntil(() => tally(figures, newReceiver).lost === 0, 10_000, 200);
    const toOld = [...figures.acked.keys()].filter((c) => oldReceiver.deliveredContents('message.received').has(c));
    const { lostContents, ...counts } = tally(figures, newReceiver);
    console.log(JSON.stringify({ ...counts, 'sent to the old URL after the change': toOld.length }));
    expect(toOld.length).toBe(0);
    expect(counts.lost).toBe(0);
  } finally {
    await oldReceiver.close();
    await newReceiver.close();
    await stack.dispose();
  }
});
