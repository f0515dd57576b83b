import type { Socket } from 'socket.io-client';
import { anyValue, mutateObject, pick, prng, type JsonText } from './values.js';
import type { FuzzFailure } from './rest.js';

export const ackCodes = ['invalid_input', 'not_found', 'rate_limited', 'conversation_closed', 'internal'] as const;

/** Frames above this are the transport's to drop (server maxHttpBufferSize is 256 KiB): the socket may close. */
const OVERSIZE_BYTES = 250 * 1024;

export interface SocketFuzzResult {
  cases: number;
  /** Events answered `{ ok: false }`. */
  refused: number;
  /** Frames too large for the transport, which may close the connection by design. */
  oversize: number;
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

let rawAckId = 1_000_000;

/**
 * Sends a Socket.IO EVENT packet written by hand (`2/nsp,<id>[...]`), so the server sees exactly
 * the JSON text given: `__proto__` keys, 5,000-deep nesting that the client library's own
 * encoder would choke on. Resolves with the ack's arguments, or null without an ack id.
 */
function rawEmit(socket: Socket, argsText: string, withAck: boolean, timeoutMs: number): Promise<unknown[] | null> {
  const engine = socket.io.engine;
  const nsp = (socket as unknown as { nsp: string }).nsp;
  const prefix = nsp === '/' ? '' : `${nsp},`;
  if (!withAck) {
    engine.write(`2${prefix}${argsText}`);
    return Promise.resolve(null);
  }
  const id = rawAckId++;
  const expected = `3${prefix}${id}[`;
  return new Promise((resolve, reject) => {
    const onMessage = (data: unknown) => {
      if (typeof data !== 'string' || !data.startsWith(expected)) return;
      cleanup();
      resolve(JSON.parse(data.slice(expected.length - 1)) as unknown[]);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('connection closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ack within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      engine.off('message', onMessage);
      engine.off('close', onClose);
    };
    engine.on('message', onMessage);
    engine.on('close', onClose);
    engine.write(`2${prefix}${id}${argsText}`);
  });
}

/**
 * Table-driven fuzz of a Socket.IO namespace: `cases` seeded hostile emits (mutated payloads,
 * wrong types, missing acks, extra arguments, binary, unknown event names). Each acked event must
 * be answered in time with `{ ok: true, ... }` or `{ ok: false, error: { code, message } }` with a
 * SPEC code (never `internal` for bad input), the socket must stay connected, and a refused event
 * must leave the database as it was.
 */
export async function fuzzSocket(options: SocketFuzzOptions): Promise<SocketFuzzResult> {
  const rand = prng(options.seed);
  const result: SocketFuzzResult = { cases: 0, refused: 0, oversize: 0, byCode: {}, failures: [] };
  const names = Object.keys(options.events);
  const timeout = options.ackTimeoutMs ?? 3000;
  let socket = options.socket;
  let before = await options.snapshot();

  for (let index = 0; index < options.cases; index++) {
    const event = pick(rand, names);
    const payload = rand() < 0.75 ? mutateObject(rand, options.events[event]!) : anyValue(rand);
    const shape: Shape = pick(rand, ['payload+ack', 'payload+ack', 'payload+ack', 'payload+ack', 'no-ack', 'ack-only', 'extra-args', 'binary', 'unknown-event']);
    const name = JSON.stringify(shape === 'unknown-event' ? pick(rand, ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'nope:nope', '', 'x'.repeat(5000)]) : event);
    const args =
      shape === 'ack-only' ? `[${name}]`
      : shape === 'extra-args' ? `[${name},${payload},${anyValue(rand)},"extra"]`
      : `[${name},${payload}]`;
    const label = `${shape} ${args.slice(0, 200)}`;
    const fail = (reason: string) => result.failures.push({ index, request: label, status: 0, reason });
    const oversize = Buffer.byteLength(args) > OVERSIZE_BYTES;
    result.cases++;
    if (oversize) result.oversize++;

    let ack: unknown[] | null = null;
    try {
      if (shape === 'binary') {
        ack = [await socket.timeout(timeout).emitWithAck(event, { content: Buffer.from(payload.slice(0, 1000)), is_typing: Buffer.alloc(3), conversation_id: Buffer.alloc(1) })];
      } else {
        ack = await rawEmit(socket, args, shape !== 'no-ack' && shape !== 'unknown-event', timeout);
      }
    } catch (err) {
      if (!oversize) fail(`no ack: ${(err as Error).message}`);
    }

    if (ack !== null && ack !== undefined) {
      const a = ack[0] as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | null;
      if (a?.ok === true) {
        // Accepted (a payload that happened to be valid).
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
    } else if (!oversize && shape === 'no-ack') {
      // No ack to wait for: let whatever the server does with it settle before the next snapshot.
      let previous = await options.snapshot();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 15));
        const now = await options.snapshot();
        if (now === previous) break;
        previous = now;
      }
    }

    // The transport closes on an oversize frame a moment later; give it that moment.
    await new Promise((resolve) => (oversize ? setTimeout(resolve, 200) : setImmediate(resolve)));
    if (!socket.connected) {
      if (!oversize) fail('the server disconnected the socket');
      socket = await options.reconnect();
    }
    before = await options.snapshot();
  }
  return result;
}
