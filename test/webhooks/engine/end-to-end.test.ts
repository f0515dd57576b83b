import { createHmac } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { dialects } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';
import { connectWidget, ok } from '../../chat/clients.js';

const MESSAGES = 60;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function createWebhook(t: TestServer, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${t.url}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: { id: number } }).data.id;
}

async function setActive(t: TestServer, id: number, is_active: boolean): Promise<void> {
  const res = await fetch(`${t.url}/api/v1/webhooks/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ is_active }),
  });
  expect(res.status).toBe(200);
}

/** Visitor `message:send` ack times, one after another, in ms. */
async function ackTimes(visitor: Socket, label: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const started = performance.now();
    await ok(visitor, 'message:send', { content: `${label} ${i}` });
    ms.push(performance.now() - started);
  }
  return ms.sort((a, b) => a - b);
}

describe.each(dialects)('end to end on %s: visitor socket → hook → outbox → receiver', (dialect) => {
  let t: TestServer;
  let receiver: Receiver;
  let hanging: Receiver;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    hanging = await startReceiver(() => ({ hang: true }));
    t = await startTestServer(dialect, { WEBHOOK_TIMEOUT_MS: '1000', WIDGET_MESSAGES_PER_MINUTE: '1000' });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.stop();
    await receiver?.close();
    await hanging?.close();
  });

  it('delivers conversation.started and message.received, signed, for a visitor message', async () => {
    const secret = 'e2e-secret-0123456789';
    await createWebhook(t, { name: 'e2e', url: receiver.url, events: ['conversation.started', 'message.received'], secret });
    const { socket: visitor } = await connectWidget(t.url);
    sockets.push(visitor);
    const ack = await ok(visitor, 'message:send', { content: 'Hi, do you ship to Norway?', current_url: 'https://shop.example/faq' });

    // Two deliveries, sent in parallel: webhooks promise no order, so find each by its event.
    const requests = await receiver.waitFor(2);
    const started = requests.find((r) => r.headers['x-webhook-event'] === 'conversation.started');
    const received = requests.find((r) => r.headers['x-webhook-event'] === 'message.received');
    expect(received!.headers['x-webhook-signature']).toBe(createHmac('sha256', secret).update(received!.body).digest('hex'));
    expect(received!.json()).toMatchObject({
      event: 'message.received',
      delivery_id: received!.headers['x-webhook-delivery'],
      data: {
        message_id: ack.message_id,
        conversation_id: ack.conversation_id,
        content: 'Hi, do you ship to Norway?',
        is_from_admin: false,
        admin_name: null,
        current_url: 'https://shop.example/faq',
        status: 'open',
      },
    });
    expect(started!.json()).toMatchObject({ event: 'conversation.started', data: { conversation_id: ack.conversation_id } });
  });

  it('acks message:send without waiting for any webhook, even one that hangs', async () => {
    const { socket: visitor } = await connectWidget(t.url);
    sockets.push(visitor);
    await ok(visitor, 'message:send', { content: 'warm-up' });
    // The webhook of the previous test (a quick receiver) is still subscribed.
    const quick = await ackTimes(visitor, 'quick');
    const hangingId = await createWebhook(t, { name: 'hangs', url: hanging.url, events: ['message.received'] });
    const slow = await ackTimes(visitor, 'hanging');
    await hanging.waitFor(1);
    await setActive(t, hangingId, false);

    const row = (name: string, ms: number[]) =>
      `${name.padEnd(34)} n=${ms.length}  p50=${percentile(ms, 50).toFixed(1)} ms  p99=${percentile(ms, 99).toFixed(1)} ms`;
    console.log(`visitor message:send ack latency on ${dialect}\n${row('webhook to a quick receiver', quick)}\n${row('plus a webhook that hangs (1 s timeout)', slow)}`);
    // An ack that waited for the hanging receiver would take at least its 1 s timeout.
    expect(percentile(slow, 99)).toBeLessThan(500);
  }, 60_000);
});
