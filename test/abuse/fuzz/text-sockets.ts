import { io, type Socket } from 'socket.io-client';
import { agentSchemas, widgetSchemas } from '../../../src/chat/schemas.js';
import type { Receiver, ReceivedRequest } from '../../support/receiver.js';
import type { FuzzFailure } from './rest.js';
import { ackCodes } from './sockets.js';
import { asStored, oddTexts } from './values.js';

/**
 * SPEC §5's text rule against every field of every client event of both namespaces (the fields
 * come from the payload schemas, so a field added later is covered too) and the handshake's auth
 * fields. Each odd text is appended to a valid value; what is accepted is read back from the
 * webhook body a real receiver got (and, for agent messages, from the history ack).
 */

export interface SocketTextFuzzOptions {
  url: string;
  apiKey: string;
  /** Receives every conversation.started, message.received and message.sent as JSON. */
  receiver: Receiver;
  /** A fingerprint of what the events can change; must not move when an event is refused. */
  snapshot(): Promise<string>;
}

export interface SocketTextFuzzResult {
  cases: number;
  echoed: number;
  byOutcome: Record<string, number>;
  failures: FuzzFailure[];
}

type Ack = { ok: boolean; error?: { code: string; message: string }; [key: string]: unknown };
type Payload = Record<string, unknown>;

const ACK_MS = 10_000;

export function connect(url: string, auth: Payload = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

function withOdd(value: unknown, odd: string): string {
  return (value === undefined ? '' : String(value)) + odd;
}

/** The first webhook body the receiver got that matches, waiting for it (the first attempt starts at once). */
export async function webhookBody(receiver: Receiver, match: (body: any, request: ReceivedRequest) => boolean, timeoutMs = 15_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (let seen = 0; ; ) {
    for (; seen < receiver.requests.length; seen++) {
      const request = receiver.requests[seen]!;
      let body: unknown;
      try {
        body = request.json();
      } catch {
        continue;
      }
      if (match(body, request)) return body;
    }
    if (Date.now() > deadline) throw new Error('no matching webhook request');
    await receiver.waitFor(seen + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
}

const widgetBase: Record<string, Payload> = {
  'conversation:start': { name: 'Ann', email: 'ann@example.com', phone: '+1 555 0100', current_url: 'https://example.com/pricing' },
  'message:send': { content: 'Hello', current_url: 'https://example.com/pricing' },
  typing: { is_typing: true },
};

/** Where an accepted widget field shows up in the webhook body, and which event carries it. */
const widgetEcho: Record<string, { event: string; fields: Record<string, string> }> = {
  'conversation:start': { event: 'conversation.started', fields: { name: 'visitor_name', email: 'visitor_email', phone: 'visitor_phone', current_url: 'current_url' } },
  'message:send': { event: 'message.received', fields: { content: 'content', current_url: 'current_url' } },
};

/** Texts a person could really type: accepted wherever free text is (SPEC §5), never refused for being unusual. */
const isOrdinary = (label: string) => label !== 'NUL' && label !== '100 KB';
const FREE_TEXT = new Set(['name', 'phone', 'content', 'admin_name']);

export async function fuzzSocketText(options: SocketTextFuzzOptions): Promise<SocketTextFuzzResult> {
  const result: SocketTextFuzzResult = { cases: 0, echoed: 0, byOutcome: {}, failures: [] };
  const count = (outcome: string) => (result.byOutcome[outcome] = (result.byOutcome[outcome] ?? 0) + 1);

  /** One event with one odd field; checks the ack, the connection and (on refusal) the database. */
  const run = async (socket: Socket, label: string, event: string, field: string, oddLabel: string, payload: Payload): Promise<Ack | null> => {
    result.cases++;
    const fail = (reason: string) => result.failures.push({ index: result.cases, request: label, status: 0, reason });
    const before = await options.snapshot();
    let ack: Ack;
    try {
      ack = (await socket.timeout(ACK_MS).emitWithAck(event, payload)) as Ack;
    } catch (err) {
      fail(`no ack: ${(err as Error).message}`);
      return null;
    }
    count(ack.ok ? 'ok' : String(ack.error?.code));
    if (!socket.connected) fail('the server disconnected the socket');
    if (ack.ok !== true && (ack.ok !== false || !ackCodes.includes(ack.error?.code as (typeof ackCodes)[number]))) fail(`malformed ack ${JSON.stringify(ack).slice(0, 200)}`);
    if (ack.ok === false) {
      if (ack.error?.code === 'internal') fail(`internal error: ${ack.error.message}`);
      if ((await options.snapshot()) !== before) fail('a refused event changed the database');
    }
    if (oddLabel === 'NUL' && (ack.ok || ack.error?.code !== 'invalid_input' || !ack.error.message.includes(field) || !ack.error.message.includes('U+0000'))) {
      fail(`NUL in ${field} not refused by name: ${JSON.stringify(ack).slice(0, 200)}`);
    }
    if (FREE_TEXT.has(field) && isOrdinary(oddLabel) && !ack.ok) fail(`valid text refused: ${JSON.stringify(ack).slice(0, 200)}`);
    return ack;
  };

  // ---- /widget: a new visitor per case, so every conversation:start really starts one ----
  for (const [event, schema] of Object.entries(widgetSchemas)) {
    for (const field of Object.keys(schema.shape)) {
      for (const odd of oddTexts) {
        const base = widgetBase[event] ?? {};
        const sent = withOdd(base[field], odd.value);
        const socket = await connect(`${options.url}/widget`);
        try {
          const label = `/widget ${event} ${field} ${odd.label}`;
          const ack = await run(socket, label, event, field, odd.label, { ...base, [field]: sent });
          const echo = widgetEcho[event];
          // Every accepted event is waited for at the receiver, echoed field or not: its delivery
          // row must settle before the next case fingerprints the database.
          if (ack?.ok && echo) {
            const key = event === 'message:send' ? 'message_id' : 'conversation_id';
            try {
              const body = await webhookBody(options.receiver, (b) => b.event === echo.event && b.data?.[key] === ack[key]);
              const echoed = echo.fields[field];
              if (echoed) {
                result.echoed++;
                const expected = field === 'content' ? asStored(sent) : asStored(sent).trim();
                if (body.data[echoed] !== expected) {
                  result.failures.push({ index: result.cases, request: label, status: 0, reason: `read back from the webhook as ${JSON.stringify(String(body.data[echoed]).slice(0, 60))}` });
                }
              }
              if (field === 'client_message_id') {
                // Not in any webhook: read back by resending under the same id, which must answer the original.
                const again = (await socket.timeout(ACK_MS).emitWithAck(event, { ...base, [field]: sent })) as Ack;
                if (again.message_id !== ack.message_id) {
                  result.failures.push({ index: result.cases, request: label, status: 0, reason: `a resend under the same id answered ${JSON.stringify(again).slice(0, 100)}` });
                }
              }
            } catch (err) {
              result.failures.push({ index: result.cases, request: label, status: 0, reason: `accepted but ${(err as Error).message}` });
            }
          }
        } finally {
          socket.disconnect();
        }
      }
    }
  }

  // The widget's handshake token: any junk makes a new visitor, never an error.
  for (const odd of oddTexts) {
    result.cases++;
    try {
      const socket = io(`${options.url}/widget`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: withOdd('tok', odd.value) } });
      let timer: NodeJS.Timeout | undefined;
      const session = await new Promise<{ visitor_token?: string }>((resolve, reject) => {
        socket.once('session', resolve);
        socket.once('connect_error', reject);
        timer = setTimeout(() => reject(new Error('no session push')), ACK_MS);
      }).finally(() => {
        clearTimeout(timer);
        socket.disconnect();
      });
      count('handshake ok');
      if (!/^[A-Za-z0-9_-]{43}$/.test(String(session.visitor_token))) throw new Error(`session without a fresh token: ${JSON.stringify(session)}`);
    } catch (err) {
      result.failures.push({ index: result.cases, request: `/widget handshake token ${odd.label}`, status: 0, reason: (err as Error).message });
    }
  }

  // ---- /agent: one conversation to point at, one socket for every case ----
  const visitor = await connect(`${options.url}/widget`);
  const opened = (await visitor.timeout(ACK_MS).emitWithAck('message:send', { content: 'hi' })) as { conversation_id: number };
  const conversationId = opened.conversation_id;
  let agent = await connect(`${options.url}/agent`, { apiKey: options.apiKey });
  const agentBase: Record<string, Payload> = {
    'conversations:list': { status: 'open' },
    'conversation:messages': { conversation_id: conversationId, before_id: 1_000_000, limit: 10 },
    'message:send': { conversation_id: conversationId, content: 'How can I help?', admin_name: 'Ada' },
    'conversation:close': { conversation_id: conversationId },
    typing: { conversation_id: conversationId, is_typing: true, admin_name: 'Ada' },
  };
  const readBackSent = async (label: string, messageId: unknown, field: string, expected: string) => {
    try {
      const body = await webhookBody(options.receiver, (b) => b.event === 'message.sent' && b.data?.message_id === messageId);
      result.echoed++;
      if (body.data[field] !== expected) throw new Error(`read back from the webhook as ${JSON.stringify(String(body.data[field]).slice(0, 60))}`);
      if (field === 'content') {
        const history = (await agent.timeout(ACK_MS).emitWithAck('conversation:messages', { conversation_id: conversationId, limit: 5 })) as { messages: { message_id: number; content: string }[] };
        if (history.messages.find((m) => m.message_id === messageId)?.content !== expected) throw new Error('read back from the history ack differently');
      }
    } catch (err) {
      result.failures.push({ index: result.cases, request: label, status: 0, reason: (err as Error).message });
    }
  };
  try {
    for (const [event, schema] of Object.entries(agentSchemas)) {
      for (const field of Object.keys(schema.shape)) {
        for (const odd of oddTexts) {
          const base = agentBase[event] ?? {};
          const sent = withOdd(base[field], odd.value);
          const label = `/agent ${event} ${field} ${odd.label}`;
          const ack = await run(agent, label, event, field, odd.label, { ...base, [field]: sent });
          if (!agent.connected) agent = await connect(`${options.url}/agent`, { apiKey: options.apiKey });
          if (ack?.ok && event === 'message:send' && (field === 'content' || field === 'admin_name')) {
            await readBackSent(label, ack.message_id, field, field === 'content' ? asStored(sent) : asStored(sent).trim());
          }
        }
      }
    }

    // The agent's handshake: a junk key is refused as unauthorized; the display name follows SPEC §5.
    for (const odd of oddTexts) {
      result.cases++;
      const label = `/agent handshake apiKey ${odd.label}`;
      const refused = await connect(`${options.url}/agent`, { apiKey: withOdd(options.apiKey, odd.value) }).then(
        (s) => (s.disconnect(), null),
        (err: Error) => err.message,
      );
      count(`apiKey ${refused ?? 'accepted'}`);
      if (refused !== 'unauthorized') result.failures.push({ index: result.cases, request: label, status: 0, reason: `answered ${refused ?? 'a connection'}` });
    }
    for (const odd of oddTexts) {
      result.cases++;
      const label = `/agent handshake name ${odd.label}`;
      const sent = withOdd('Ada', odd.value);
      let named: Socket | null = null;
      try {
        named = await connect(`${options.url}/agent`, { apiKey: options.apiKey, name: sent });
      } catch (err) {
        const message = (err as Error).message;
        count(`name ${message}`);
        if (odd.label !== 'NUL' || message !== 'invalid_input') result.failures.push({ index: result.cases, request: label, status: 0, reason: `refused: ${message}` });
        continue;
      }
      count('name accepted');
      if (odd.label === 'NUL') result.failures.push({ index: result.cases, request: label, status: 0, reason: 'a NUL in the name was accepted' });
      const ack = (await named.timeout(ACK_MS).emitWithAck('message:send', { conversation_id: conversationId, content: 'named' })) as Ack;
      named.disconnect();
      if (!ack.ok) {
        result.failures.push({ index: result.cases, request: label, status: 0, reason: `send refused: ${JSON.stringify(ack)}` });
        continue;
      }
      await readBackSent(label, ack.message_id, 'admin_name', Array.from(asStored(sent).trim()).slice(0, 255).join(''));
    }
  } finally {
    agent.disconnect();
    visitor.disconnect();
  }
  return result;
}
