import { io as connect, type Socket } from 'socket.io-client';

/** Real Socket.IO clients for the chat tests, with promise helpers around acks and pushes. */

export type Ack = { ok: true; [key: string]: unknown } | { ok: false; error: { code: string; message: string } };
export type Session = { visitor_token: string; conversation_id: number | null };

const opts = { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000 };

/** A visitor's widget connection, resolved once the server's `session` push has arrived. */
export async function connectWidget(baseUrl: string, auth: Record<string, unknown> = {}, extra: { extraHeaders?: Record<string, string> } = {}): Promise<{ socket: Socket; session: Session }> {
  const socket = connect(`${baseUrl}/widget`, { ...opts, auth, ...extra });
  const session = await new Promise<Session>((resolve, reject) => {
    socket.once('session', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, session };
}

export async function connectAgent(baseUrl: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = connect(`${baseUrl}/agent`, { ...opts, auth });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
  return socket;
}

/** Emits `event` with `payload` and resolves with the ack (rejects after 5 s without one). */
export function call(socket: Socket, event: string, payload?: unknown): Promise<Ack> {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack>;
}

/** Like call, but fails the test unless the ack is ok. */
export async function ok(socket: Socket, event: string, payload?: unknown): Promise<Record<string, unknown>> {
  const ack = await call(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code}: ${ack.error.message}`);
  return ack;
}

/** The next `event` push the socket receives that matches `where`. */
export function next<T = Record<string, unknown>>(socket: Socket, event: string, where: (data: T) => boolean = () => true, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} push within ${ms} ms`));
    }, ms);
    const listener = (data: T) => {
      if (!where(data)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(data);
    };
    socket.on(event, listener);
  });
}

/** Collects every `event` push into an array, for asserting what did (not) arrive. */
export function collect<T = Record<string, unknown>>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (data: T) => seen.push(data));
  return seen;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
