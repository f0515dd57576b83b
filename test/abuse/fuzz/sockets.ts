import type { Socket } from 'socket.io-client';
import { anyValue, mutateObject, pick, prng, type JsonText } from './values.js';
import type { FuzzFailure } from './rest.js';

export const ackCodes = ['invalid_input', 'not_found', 'rate_limited', 'conversation_closed', 'internal'] as const;

export interface SocketFuzzResult {
  cases: number;
  /** Events answered `{ ok: false }`. */
  refused: number;
  byCode: Record<string, number>;
  failures: FuzzFailure[];
}

export interface SocketFuzzOptions {
  /** A connected socket; `reconnect` gives a fresh one if the server dropped it. */
  socket: Socket;
  reconnect(): Promise<Socket>;
  /** event → valid payload (JSON text) of each event the namespace knows. */
  events: Record<string, Record<string, JsonText>>;
  seed: number;
  cases: number;
  /** A fingerprint of what the events can change; must not move when an event is refused. */
  snapshot(): Promise<string>;
  ackTimeoutMs?: number;
}

type Shape = 'payload+ack' | 'no-ack' | 'ack-only' | 'extra-args' | 'binary' | 'unknown-event';

/**
 * Table-driven fuzz of a Socket.IO namespace: `cases` seeded hostile emits (mutated payloads,
 * wrong types, missing acks, extra arguments, binary, unknown event names). Each acked event must
 * be answered in time with `{ ok: true, ... }` or `{ ok: false, error: { code, message } }` with a
 * SPEC code, the socket must stay connected, and a refused event must leave the database as it was.
 */
export async function fuzzSocket(options: SocketFuzzOptions): Promise<SocketFuzzResult> {
  const rand = prng(options.seed);
  const result: SocketFuzzResult = { cases: 0, refused: 0, byCode: {}, failures: [] };
  const names = Object.keys(options.events);
  const timeout = options.ackTimeoutMs ?? 3000;
  let socket = options.socket;
  let before = await options.snapshot();

  for (let index = 0; index < options.cases; index++) {
    const event = pick(rand, names);
    const r = rand();
    const payloadText = r < 0.75 ? mutateObject(rand, options.events[event]!) : anyValue(rand);
    const payload: unknown = JSON.parse(payloadText);
    const shape: Shape = pick(rand, ['payload+ack', 'payload+ack', 'payload+ack', 'payload+ack', 'no-ack', 'ack-only', 'extra-args', 'binary', 'unknown-event']);
    const label = `${shape} ${event} ${payloadText.slice(0, 160)}`;
    const fail = (reason: string) => result.failures.push({ index, request: label, status: 0, reason });
    result.cases++;

    let ack: unknown = undefined;
    let acked = false;
    try {
      switch (shape) {
        case 'payload+ack':
          ack = await socket.timeout(timeout).emitWithAck(event, payload);
          acked = true;
          break;
        case 'ack-only':
          ack = await socket.timeout(timeout).emitWithAck(event);
          acked = true;
          break;
        case 'extra-args':
          ack = await socket.timeout(timeout).emitWithAck(event, payload, payload, 'extra');
          acked = true;
          break;
        case 'binary':
          ack = await socket.timeout(timeout).emitWithAck(event, { content: Buffer.from(payloadText.slice(0, 1000)), is_typing: Buffer.alloc(3) });
          acked = true;
          break;
        case 'no-ack':
          socket.emit(event, payload);
          break;
        case 'unknown-event':
          socket.emit(pick(rand, ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'connect', 'disconnect', 'nope:nope', 'x'.repeat(5000)]), payload);
          break;
      }
    } catch (err) {
      fail(`no ack within ${timeout} ms (${(err as Error).message})`);
    }

    if (acked) {
      const a = ack as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | null;
      if (a?.ok === true) {
        // Accepted: fine, as long as it was a real event with a sane payload.
      } else if (a?.ok === false && typeof a.error?.message === 'string' && ackCodes.includes(a.error.code as (typeof ackCodes)[number])) {
        result.refused++;
        const code = String(a.error.code);
        result.byCode[code] = (result.byCode[code] ?? 0) + 1;
        if (code === 'internal') fail(`internal error for bad input: ${a.error.message}`);
        const after = await options.snapshot();
        if (after !== before) fail('a refused event changed the database');
      } else {
        fail(`malformed ack: ${JSON.stringify(ack)?.slice(0, 200)}`);
      }
    } else {
      // No ack to wait for: let whatever the server does with it settle before the next snapshot.
      let previous = await options.snapshot();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        const now = await options.snapshot();
        if (now === previous) break;
        previous = now;
      }
    }

    if (!socket.connected) {
      fail('the server disconnected the socket');
      socket = await options.reconnect();
    }
    before = await options.snapshot();
  }
  return result;
}
