import { createServer, type Socket } from 'node:net';

/** Ways a receiver can misbehave; each is a path on the bad receiver. */
export const misbehaviours = [
  'hang',
  'reset',
  'slow-head',
  'slow-body',
  'gigabyte',
  'huge-headers',
  'redirect-metadata',
  'redirect-local',
  'garbage',
  'bad-status',
] as const;
export type Misbehaviour = (typeof misbehaviours)[number];

export interface BadReceiver {
  port: number;
  url(path: Misbehaviour): string;
  /** Bytes of body written to the sender for the gigabyte answer before it hung up. */
  gigabyteBytesWritten: number;
  /** Requests for `/target`, the destination of the local redirect (must stay 0). */
  redirectTargetHits: number;
  /** Requests seen, by path. */
  hits: Record<string, number>;
  close(): Promise<void>;
}

const GIB = 1024 * 1024 * 1024;

/**
 * A raw TCP server that speaks just enough HTTP to misbehave exactly as asked: it writes bytes
 * itself, so it can hang, reset, drip, lie and send what no HTTP library would.
 */
export async function startBadReceiver(): Promise<BadReceiver> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { gigabyteBytesWritten: 0, redirectTargetHits: 0, hits: {} as Record<string, number> };
  let port = 0;

  const drip = (socket: Socket, text: string, everyMs: number) => {
    let i = 0;
    const t = setInterval(() => {
      if (socket.destroyed || i >= text.length) {
        clearInterval(t);
        timers.delete(t);
        return;
      }
      socket.write(text[i++]!);
    }, everyMs);
    timers.add(t);
  };

  const answer = (socket: Socket, path: string) => {
    state.hits[path] = (state.hits[path] ?? 0) + 1;
    switch (path) {
      case '/hang':
        return;
      case '/reset':
        return void socket.resetAndDestroy();
      case '/slow-head':
        return drip(socket, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 250);
      case '/slow-body':
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
        return drip(socket, 'x'.repeat(1000), 100);
      case '/gigabyte': {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${GIB}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = GIB;
        const pump = () => {
          while (left > 0 && !socket.destroyed && socket.writable) {
            left -= chunk.length;
            state.gigabyteBytesWritten += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        return pump();
      }
      case '/huge-headers':
        return void socket.end(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(256 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
      case '/redirect-metadata':
        return void socket.end('HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/iam/security-credentials/\r\nContent-Length: 0\r\n\r\n');
      case '/redirect-local':
        return void socket.end(`HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:${port}/target\r\nContent-Length: 0\r\n\r\n`);
      case '/target':
        state.redirectTargetHits++;
        return void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      case '/garbage':
        return void socket.write('SSH-2.0-OpenSSH_9.6 not http at all\r\n\r\n');
      case '/bad-status':
        return void socket.end('HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n');
      default:
        return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    }
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (head.length - end - 4 < length) return;
      answered = true;
      answer(socket, head.split(' ')[1] ?? '/');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;

  return {
    port,
    url: (path) => `http://127.0.0.1:${port}/${path}`,
    get gigabyteBytesWritten() {
      return state.gigabyteBytesWritten;
    },
    get redirectTargetHits() {
      return state.redirectTargetHits;
    },
    hits: state.hits,
    close: async () => {
      for (const t of timers) clearInterval(t);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
