import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '../logger.js';
import { ChatError, toAckError } from './errors.js';
import type { AckResponse, UntrustedEvents } from './protocol.js';
import { describeIssues, wellFormedPayload } from './schemas.js';
import { InFlight, SerialQueue, SharedAttempts, withDeadline } from './in-flight.js';

export interface EventOptions {
  inFlight: InFlight;
  logger: Logger;
  /** Longest a client waits for an ack before `internal`. */
  timeoutMs: number;
  /** When given, the event waits its turn behind the socket's earlier writes. */
  queue?: SerialQueue;
  /** When given, a payload with a key joins the try already running under that key (see SharedAttempts). */
  join?: { attempts: SharedAttempts; key: (payload: any) => string | null };
}

/**
 * Registers a client event the way SPEC §3/§4 want every event handled: the last argument must
 * be an ack callback (without one there is nobody to answer, so nothing is done); the payload
 * must be a plain object that passes `schema`; the ack is `{ ok: true, ...result }` or
 * `{ ok: false, error }`. Nothing here throws into Socket.IO or disconnects the client.
 *
 * @example onEvent(socket, 'typing', widgetSchemas.typing, async ({ is_typing }) => ({}), options)
 */
export function onEvent<Name extends string, S extends z.ZodType, R extends object>(
  // Only the client events matter here; the other type parameters are the namespace's business.
  socket: Socket<UntrustedEvents<Name>, any, any, any>,
  event: Name,
  schema: S,
  handler: (payload: z.output<S>) => Promise<R>,
  options: EventOptions,
): void {
  // The typed socket's `on` resolves listener types through conditionals a generic Name cannot
  // satisfy; every client event here has the same untrusted signature anyway.
  (socket as unknown as UntypedOn).on(event, (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      options.logger.debug({ event, socket: socket.id }, 'event without an ack callback ignored');
      return;
    }
    const reply = (response: AckResponse<R>) => {
      try {
        (ack as (r: AckResponse<R>) => void)(response);
      } catch (err) {
        options.logger.warn({ err, event }, 'ack failed');
      }
    };
    const fail = (err: unknown) => {
      const error = toAckError(err);
      if (error.code === 'internal') options.logger.error({ err, event, socket: socket.id }, 'chat event failed');
      reply({ ok: false, error });
    };

    if (args.length !== 2) return fail(new ChatError('invalid_input', 'Expected one payload object and an ack callback'));
    if (!isPlainObject(args[0])) return fail(new ChatError('invalid_input', 'The payload must be an object'));
    const text = wellFormedPayload(args[0]);
    if (!text.ok) return fail(new ChatError('invalid_input', text.message));
    const parsed = schema.safeParse(text.payload);
    if (!parsed.success) return fail(new ChatError('invalid_input', describeIssues(parsed.error)));

    const run = () => handler(parsed.data);
    const queue = options.queue;
    const start = () => options.inFlight.run(queue ? () => queue.run(run) : run);
    const key = options.join?.key(parsed.data) ?? null;
    const work = key === null ? start() : options.join!.attempts.run(key, start);
    withDeadline(work, options.timeoutMs).then((result) => reply({ ok: true, ...result }), fail);
  });
}

type UntypedOn = { on(event: string, listener: (...args: unknown[]) => void): unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
