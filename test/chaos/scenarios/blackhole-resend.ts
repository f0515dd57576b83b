import { io, type Socket } from 'socket.io-client';
import { createTestDatabase } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, TEST_API_KEY } from '../../support/server.js';
import { apiClient } from '../support/api.js';
import { sleep, waitUntil, type ChildServer } from '../support/child-server.js';
import { sql } from '../support/sql.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

export interface BlackholeResendOptions {
  /** How long MariaDB accepts connections and never answers. */
  cutMs: number;
  /** Messages the visitor sends during the cut, spread over its first 80 %. */
  messages: number;
  /** The server's ack deadline (CHAT_ACK_TIMEOUT_MS). */
  serverAckTimeoutMs: number;
  /** `false` resends without a client_message_id: the behaviour before SPEC §3 "Resending is safe". */
  withIds?: boolean;
  /** `child`: src/main.ts in its own process, as deployed; `in-process`: faster, for the main suite. */
  server?: 'child' | 'in-process';
  webhooks?: number;
}

export interface BlackholeResendFigures {
  messages: number;
  /** Sends of any try, and how they were answered. */
  sends: number;
  acks: { ok: number; internal: number; other: number; unanswered: number };
  /** The `other` refusals by code (e.g. rate_limited when the socket's write queue is full). */
  otherCodes: Record<string, number>;
  /** First tries answered `internal` (the visitor was told "try again"). */
  firstTriesInternal: number;
  /** First tries answered `internal` whose message was stored anyway. */
  internalButStored: number;
  /** Messages never acknowledged ok within the deadline. */
  neverOk: number;
  /** Rows per content: distinct contents stored, total rows, rows beyond one per content. */
  stored: { contents: number; rows: number; duplicates: number };
  /** Per webhook: contents received, requests, distinct delivery ids beyond one per content. */
  delivered: { contents: number; requests: number; duplicateDeliveries: number }[];
  /** An ok ack whose message_id is not the one row stored for its content. */
  wrongAcks: number;
  /** From the database's return to the last ok ack, and to no delivery pending. */
  allOkAfterMs: number;
  settledAfterMs: number;
}

/**
 * A visitor sends messages while the database is blackholed (a TCP proxy that accepts and never
 * answers), resending each one until it is acknowledged ok, as the widget does. Counts what was
 * stored and what every webhook received once the database is back and deliveries have settled.
 */
export async function blackholeResend(options: BlackholeResendOptions): Promise<BlackholeResendFigures> {
  const withIds = options.withIds ?? true;
  const db = await createTestDatabase('mysql');
  const direct = new URL(db.url);
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 3306) });
  const proxied = new URL(db.url);
  proxied.host = `127.0.0.1:${proxy.port}`;
  const receivers: Receiver[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let socket: Socket | null = null;
  try {
    const env = {
      CHAT_ACK_TIMEOUT_MS: String(options.serverAckTimeoutMs),
      WIDGET_MESSAGES_PER_MINUTE: '100000',
      WIDGET_CONVERSATIONS_PER_HOUR: '100000',
      WEBHOOK_RETRY_DELAYS: Array(10).fill('1').join(','),
      WEBHOOK_SWEEP_CRON: '* * * * * *',
      WEBHOOK_TIMEOUT_MS: '3000',
      // A delivery cut off mid-attempt is claimed again after its lease: seconds, not a minute.
      WEBHOOK_LEASE_MS: '3000',
    };
    const baseUrl = await startServer(options.server ?? 'in-process', proxied.toString(), env, cleanups);
    const api = apiClient(baseUrl, TEST_API_KEY);
    for (let i = 0; i < (options.webhooks ?? 2); i++) {
      const receiver = await startReceiver();
      receivers.push(receiver);
      await api.createWebhook({ name: `receiver ${i}`, url: receiver.url, events: ['message.received'] });
    }

    socket = io(`${baseUrl}/widget`, { transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket!.once('session', () => resolve());
      socket!.once('connect_error', reject);
    });
    const prefix = `bh-${Date.now().toString(36)}`;
    // A visitor and an open conversation already exist when the cut comes, as on a live site.
    await sendUntilOk(socket, { content: `${prefix}:hello`, ...(withIds ? { client_message_id: `${prefix}-hello` } : {}) }, options, () => {});
    for (const receiver of receivers) await receiver.waitFor(1, 10_000);

    const acks = { ok: 0, internal: 0, other: 0, unanswered: 0 };
    const otherCodes: Record<string, number> = {};
    const firstInternal = new Set<string>();
    const okIds = new Map<string, number>();
    let sends = 0;
    const record = (content: string, attempt: number, ack: Ack | null) => {
      sends++;
      if (ack === null) acks.unanswered++;
      else if (ack.ok) acks.ok++;
      else if (ack.error.code === 'internal') acks.internal++;
      else {
        acks.other++;
        otherCodes[ack.error.code] = (otherCodes[ack.error.code] ?? 0) + 1;
      }
      if (attempt === 1 && ack && !ack.ok && ack.error.code === 'internal') firstInternal.add(content);
      if (ack?.ok) okIds.set(content, ack.message_id);
    };

    const contents = Array.from({ length: options.messages }, (_, i) => `${prefix}:${i}`);
    await proxy.cut('blackhole');
    const cutAt = Date.now();
    const spacing = (options.cutMs * 0.8) / options.messages;
    const sending = contents.map(async (content, i) => {
      await sleep(i * spacing);
      const payload = { content, ...(withIds ? { client_message_id: `${prefix}-${i}` } : {}) };
      return sendUntilOk(socket!, payload, options, (attempt, ack) => record(content, attempt, ack));
    });
    await sleep(Math.max(0, options.cutMs - (Date.now() - cutAt)));
    await proxy.restore();
    const restoredAt = Date.now();
    const outcomes = await Promise.allSettled(sending);
    const allOkAfterMs = Date.now() - restoredAt;
    const neverOk = outcomes.filter((o) => o.status === 'rejected').length;

    // Settled: no event left to fan out and no delivery pending, for every message sent.
    const pendingWork = async () => {
      const [row] = await sql<{ n: number }>(
        db.url,
        "SELECT (SELECT COUNT(*) FROM webhook_events) + (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending') AS n",
      );
      return Number(row!.n);
    };
    await waitUntil(async () => (await pendingWork()) === 0, 60_000, 200);
    const settledAfterMs = Date.now() - restoredAt;

    const rows = await sql<{ id: number; content: string }>(db.url, 'SELECT id, content FROM messages WHERE content LIKE ?', [`${prefix}:%`]);
    const rowsOf = countBy(rows.filter((r) => contents.includes(r.content)), (r) => r.content);
    const stored = { contents: rowsOf.size, rows: sum(rowsOf.values()), duplicates: sum([...rowsOf.values()].map((n) => n - 1)) };
    const idOf = new Map(rows.map((r) => [r.content, r.id]));
    const wrongAcks = [...okIds].filter(([content, id]) => rowsOf.get(content) !== 1 || idOf.get(content) !== id).length;
    const internalButStored = [...firstInternal].filter((c) => rowsOf.has(c)).length;

    const delivered = receivers.map((receiver) => {
      const bodies = receiver.requests.map((r) => r.json<{ delivery_id: string; data: { content: string } }>()).filter((b) => contents.includes(b.data.content));
      const deliveriesOf = new Map<string, Set<string>>();
      for (const body of bodies) deliveriesOf.set(body.data.content, (deliveriesOf.get(body.data.content) ?? new Set()).add(body.delivery_id));
      return {
        contents: deliveriesOf.size,
        requests: bodies.length,
        duplicateDeliveries: sum([...deliveriesOf.values()].map((ids) => ids.size - 1)),
      };
    });

    return {
      messages: options.messages,
      sends,
      acks,
      otherCodes,
      firstTriesInternal: firstInternal.size,
      internalButStored,
      neverOk,
      stored,
      delivered,
      wrongAcks,
      allOkAfterMs,
      settledAfterMs,
    };
  } finally {
    socket?.close();
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const receiver of receivers) await receiver.close();
    await proxy.close();
    await db.drop();
  }
}

type Ack = { ok: true; message_id: number } | { ok: false; error: { code: string; message: string } };

/**
 * The widget's loop: send, and on `internal`, any other refusal or no ack, send the same payload
 * again after a short backoff, until ok. Rejects if still not ok a minute after the cut ends.
 */
async function sendUntilOk(
  socket: Socket,
  payload: Record<string, unknown>,
  options: BlackholeResendOptions,
  record: (attempt: number, ack: Ack | null) => void,
): Promise<Ack> {
  const giveUpAt = Date.now() + options.cutMs + 60_000;
  for (let attempt = 1; ; attempt++) {
    const ack = (await socket
      .timeout(options.serverAckTimeoutMs + 5_000)
      .emitWithAck('message:send', payload)
      .catch(() => null)) as Ack | null;
    record(attempt, ack);
    if (ack?.ok) return ack;
    if (Date.now() > giveUpAt) throw new Error(`no ok ack for ${String(payload.content)} after ${attempt} tries`);
    await sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random()));
  }
}

async function startServer(kind: 'child' | 'in-process', databaseUrl: string, env: Record<string, string>, cleanups: (() => Promise<unknown>)[]): Promise<string> {
  if (kind === 'in-process') {
    const server = await startTestServer('mysql', { ...env, WEBHOOK_WORKER: 'inline' }, databaseUrl);
    cleanups.push(() => server.stop());
    return server.url;
  }
  const { ChaosStack } = await import('../support/stack.js');
  const stack = await ChaosStack.create();
  cleanups.push(() => stack.dispose());
  const server: ChildServer = await stack.server('blackhole-resend', { ...env, DATABASE_URL: databaseUrl });
  await server.start(60_000);
  return server.url;
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
