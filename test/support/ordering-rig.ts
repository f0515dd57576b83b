import type { Socket } from 'socket.io-client';
import { connectWidget, ok } from '../chat/clients.js';
import { apiClient } from '../webhooks/api/helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * The order per conversation (SPEC §5) as a receiver sees it: chats that run at the same time, a
 * receiver that answers after 0–`jitterMs` ms and fails some first attempts, and the check that
 * each conversation's events were accepted in the order they happened and that no request of a
 * conversation came while an earlier event of it was still unaccepted.
 */

/** Server settings for ordering runs. */
export const orderingEnv = {
  // Retries come quickly and the sweeper runs every second: the test waits for rows, not minutes.
  WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2,0.2',
  WEBHOOK_SWEEP_CRON: '* * * * * *',
  WIDGET_CONVERSATIONS_PER_HOUR: '10000',
  WIDGET_MESSAGES_PER_MINUTE: '10000',
};

/** One event as the receiver identifies it: `message.received:v3-2`, `conversation.started:` ... */
export type EventKey = string;

export interface OrderingReceiver {
  receiver: Receiver;
  /** Deliveries whose first attempt was answered 500. */
  failedFirst: () => number;
  /** Answers of the requests so far, by request index: true for 2xx. */
  accepted: boolean[];
}

/** A receiver that waits 0–jitterMs ms and answers 500 to every `failEvery`-th first attempt (0: none). */
export async function startOrderingReceiver(options: { jitterMs: number; failEvery: number }): Promise<OrderingReceiver> {
  const seen = new Set<string>();
  const accepted: boolean[] = [];
  let firsts = 0;
  let failed = 0;
  const receiver = await startReceiver((request, index) => {
    const deliveryId = String(request.headers['x-webhook-delivery']);
    let ok = true;
    if (!seen.has(deliveryId)) {
      seen.add(deliveryId);
      firsts++;
      if (options.failEvery > 0 && firsts % options.failEvery === 0) {
        ok = false;
        failed++;
      }
    }
    accepted[index] = ok;
    return { status: ok ? 200 : 500, delayMs: Math.floor(Math.random() * (options.jitterMs + 1)) };
  });
  return { receiver, accepted, failedFirst: () => failed };
}

/**
 * One conversation, each step acknowledged before the next: the visitor starts it on
 * `visitorUrl`, then `messages` times the visitor writes and the agent answers, then the agent
 * closes it. Answers the conversation id and its events in the order they happened.
 */
export async function chat(
  visitorUrl: string,
  agent: Socket | ((step: number) => Socket),
  tag: string,
  messages: number,
): Promise<{ conversationId: number; expected: EventKey[]; close: () => void }> {
  const agentFor = typeof agent === 'function' ? agent : () => agent;
  const { socket: visitor } = await connectWidget(visitorUrl);
  const started = await ok(visitor, 'conversation:start', { name: `Visitor ${tag}`, email: `${tag}@example.com` });
  const conversationId = started.conversation_id as number;
  const expected: EventKey[] = ['conversation.started:'];
  for (let j = 1; j <= messages; j++) {
    await ok(visitor, 'message:send', { content: `v${tag}-${j}` });
    expected.push(`message.received:v${tag}-${j}`);
    await ok(agentFor(j), 'message:send', { conversation_id: conversationId, content: `a${tag}-${j}` });
    expected.push(`message.sent:a${tag}-${j}`);
  }
  await ok(agentFor(messages + 1), 'conversation:close', { conversation_id: conversationId });
  expected.push('conversation.closed:');
  return { conversationId, expected, close: () => visitor.close() };
}

interface Seen {
  conversationId: number;
  key: EventKey;
  ok: boolean;
}

function seenRequests(r: OrderingReceiver): Seen[] {
  return r.receiver.requests.map((request, i) => {
    const body = request.json<{ event: string; data: { conversation_id: number; content?: string } }>();
    return { conversationId: body.data.conversation_id, key: `${body.event}:${body.data.content ?? ''}`, ok: r.accepted[i] === true };
  });
}

/** Waits until every expected event was accepted once (or `timeoutMs` passes). */
export async function waitForAll(r: OrderingReceiver, total: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const accepted = new Set(r.receiver.requests.filter((_, i) => r.accepted[i]).map((q) => String(q.headers['x-webhook-delivery'])));
    if (accepted.size >= total) return;
    if (Date.now() > end) throw new Error(`${accepted.size} of ${total} events accepted after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface OrderReport {
  conversations: number;
  /** Conversations whose accepted events are not exactly their expected sequence. */
  outOfOrder: number;
  /** Requests that came while an earlier event of their conversation was not yet accepted. */
  overtakes: number;
  /** For a failure message: the first conversations out of order, expected vs accepted. */
  examples: { conversationId: number; expected: EventKey[]; accepted: EventKey[] }[];
}

/** Compares what the receiver accepted, conversation by conversation, with what happened. */
export function orderReport(r: OrderingReceiver, runs: readonly { conversationId: number; expected: EventKey[] }[]): OrderReport {
  const seen = seenRequests(r);
  let outOfOrder = 0;
  let overtakes = 0;
  const examples: OrderReport['examples'] = [];
  for (const run of runs) {
    const mine = seen.filter((s) => s.conversationId === run.conversationId);
    const accepted: EventKey[] = [];
    for (const s of mine) {
      // Every request must be for the first event not yet accepted (a retry of it, or its next attempt).
      if (s.key !== run.expected[accepted.length]) overtakes++;
      if (s.ok && !accepted.includes(s.key)) accepted.push(s.key);
    }
    if (JSON.stringify(accepted) !== JSON.stringify(run.expected)) {
      outOfOrder++;
      if (examples.length < 3) examples.push({ conversationId: run.conversationId, expected: run.expected, accepted });
    }
  }
  return { conversations: runs.length, outOfOrder, overtakes, examples };
}

/** Creates, through the server's REST API, a webhook to the receiver subscribed to every chat event. */
export async function subscribeToAll(serverUrl: string, r: OrderingReceiver): Promise<void> {
  const created = await apiClient(serverUrl).post('/webhooks', {
    name: 'Ordered',
    url: r.receiver.url,
    events: ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'],
  });
  if (created.status !== 201) throw new Error(`creating the webhook answered ${created.status}: ${created.text}`);
}
