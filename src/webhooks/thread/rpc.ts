import { decodeError, encodeError, type EncodedError } from './error-codec.js';

/**
 * Calls on an object in another thread, over a Worker, its parentPort or a MessagePort. The other
 * messages on the same port (each with a `type` other than these two) are left to their own listeners.
 */
export type RpcMessage =
  | { type: 'call'; id: number; method: string; args: unknown[] }
  | { type: 'answer'; id: number; ok: true; value: unknown }
  | { type: 'answer'; id: number; ok: false; error: EncodedError };

/** One end of a channel: a Worker, a worker's parentPort or a MessagePort all fit. */
export interface RpcPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'close' | 'exit', listener: () => void): unknown;
}

/** The names of T's methods that answer with a promise: the ones that can be called across. */
export type AsyncMethodName<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T] & string;

/** What a proxy offers: T's promise-answering methods, each a call in the other thread. */
export type Remote<T> = { [K in AsyncMethodName<T>]: T[K] };

export interface ProxyOptions {
  /** The error a call still waiting gets when the other end goes away. */
  closed?: () => Error;
}

/**
 * Answers the calls arriving on `port` with `target`'s methods, `methods` only. A thrown error
 * crosses with its class, code and fields (see error-codec.ts).
 */
export function serve<T>(port: RpcPort, target: T, methods: readonly AsyncMethodName<T>[]): void {
  const served = new Set<string>(methods);
  const answer = (message: RpcMessage) => {
    try {
      port.postMessage(message);
    } catch (err) {
      // A value that cannot be cloned: the caller gets the DataCloneError rather than no answer.
      port.postMessage({ type: 'answer', id: message.id, ok: false, error: encodeError(err) } satisfies RpcMessage);
    }
  };
  port.on('message', (message) => {
    if (!isRpc(message) || message.type !== 'call') return;
    const { id, method, args } = message;
    Promise.resolve()
      .then(() => {
        if (!served.has(method)) throw new Error(`unknown call ${method}`);
        const run = target[method as AsyncMethodName<T>] as (...args: unknown[]) => Promise<unknown>;
        return run.apply(target, args);
      })
      .then(
        (value) => answer({ type: 'answer', id, ok: true, value }),
        (err: unknown) => answer({ type: 'answer', id, ok: false, error: encodeError(err) }),
      );
  });
}

/**
 * T's methods named in `methods`, each posting a call on the port and resolving with the answer.
 * `port` may be a function giving the port to use for the next call (a worker that is started again).
 *
 * @example const engine = createProxy<DeliveryWorkerApi>(worker, deliveryWorkerMethods); await engine.sweepOnce();
 */
export function createProxy<T>(port: RpcPort | (() => Promise<RpcPort>), methods: readonly AsyncMethodName<T>[], options: ProxyOptions = {}): Remote<T> {
  const closed = options.closed ?? (() => new Error('the other thread closed the channel'));
  const waiting = new WeakMap<RpcPort, Map<number, { resolve(value: unknown): void; reject(err: Error): void }>>();
  let seq = 0;

  const callsOn = (p: RpcPort) => {
    let calls = waiting.get(p);
    if (calls) return calls;
    const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
    calls = pending;
    waiting.set(p, pending);
    p.on('message', (message) => {
      if (!isRpc(message) || message.type !== 'answer') return;
      const call = pending.get(message.id);
      if (!call) return;
      pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(decodeError(message.error));
    });
    const fail = () => {
      for (const call of pending.values()) call.reject(closed());
      pending.clear();
    };
    // A Worker tells 'exit', a MessagePort 'close'.
    p.once('exit', fail);
    p.once('close', fail);
    return pending;
  };

  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    const p = typeof port === 'function' ? await port() : port;
    const pending = callsOn(p);
    const id = ++seq;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        p.postMessage({ type: 'call', id, method, args } satisfies RpcMessage);
      } catch (err) {
        pending.delete(id);
        reject(err as Error);
      }
    });
  };

  const proxy: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of methods) proxy[method] = (...args) => call(method, args);
  return proxy as Remote<T>;
}

function isRpc(message: unknown): message is RpcMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return (type === 'call' || type === 'answer') && typeof (message as { id?: unknown }).id === 'number';
}
