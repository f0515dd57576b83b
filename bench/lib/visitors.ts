import { io, type Socket } from 'socket.io-client';

export type Ack = { ok: true; [key: string]: unknown } | { ok: false; error: { code: string; message: string } };

/**
 * A widget visitor over real Socket.IO (SPEC §3): WebSocket only, no reconnection, so a benchmark
 * never hides a dropped connection behind a silent retry.
 */
export function connectVisitor(baseUrl: string, timeoutMs = 15_000): Promise<Socket> {
  const socket = io(`${baseUrl}/widget`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs, auth: {} });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no session event')), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    };
    socket.once('session', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', fail);
  });
}

/** Connects `n` visitors, `parallel` handshakes at a time. */
export async function connectVisitors(baseUrl: string, n: number, parallel = 50): Promise<Socket[]> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < n; i += parallel) {
      const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => connectVisitor(baseUrl)));
      sockets.push(...batch);
    }
    return sockets;
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
}

/** message:send with its ack; rejects on an error ack or no ack within `timeoutMs`. */
export async function sendMessage(socket: Socket, content: string, timeoutMs = 10_000): Promise<Ack> {
  const ack = (await socket.timeout(timeoutMs).emitWithAck('message:send', { content })) as Ack;
  if (!ack.ok) throw new Error(`message:send: ${ack.error.code}: ${ack.error.message}`);
  return ack;
}
