import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it: raw body bytes, so signatures can be checked exactly. */
export interface ReceivedRequest {
  method: string;
  /** Path and query, e.g. `/hook?x=1`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the request had fully arrived. */
  receivedAt: number;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json<T = any>(): T;
}

/**
 * How to answer one request. Defaults: 200, empty body. `hang` never answers; `reset` destroys the
 * socket; `bodyBytes` streams that many bytes of 'x' (a huge body); `delayMs` waits first (slow).
 * A redirect is `{ status: 302, headers: { location: '...' } }`.
 */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
  hang?: boolean;
  reset?: boolean;
  bodyBytes?: number;
}

export type Responder = (request: ReceivedRequest, index: number) => Reply | Promise<Reply>;

export interface Receiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  requests: ReceivedRequest[];
  /** Answers every following request with `responder` (index counts from the first request ever). */
  respond(responder: Responder): void;
  /** Answers the next requests with these replies in turn, then falls back to the responder. */
  reply(...replies: Reply[]): void;
  /** Resolves once `requests` holds `count` requests; rejects after `timeoutMs` (default 5 s). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Forgets the requests received so far. */
  clear(): void;
  /** Closes the server and destroys every open connection (hung ones too). */
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1 and an ephemeral port that records every request and answers
 * as programmed.
 * @example const r = await startReceiver(); r.reply({ status: 500 }, { status: 200 }); ... await r.close();
 */
export async function startReceiver(responder: Responder = () => ({})): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const queued: Reply[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let current = responder;
  let seen = 0;
  let waiters: (() => void)[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        receivedAt: Date.now(),
        text: () => body.toString('utf8'),
        json: () => JSON.parse(body.toString('utf8')),
      };
      const index = seen++;
      requests.push(request);
      for (const w of waiters) w();
      void Promise.resolve(queued.length ? queued.shift()! : current(request, index)).then((reply) => {
        const send = () => {
          if (reply.hang) return;
          if (reply.reset) {
            req.socket.destroy();
            return;
          }
          res.writeHead(reply.status ?? 200, reply.headers ?? {});
          if (reply.bodyBytes) streamBytes(res, reply.bodyBytes);
          else res.end(reply.body ?? '');
        };
        if (reply.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            send();
          }, reply.delayMs);
          timers.add(t);
        } else send();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    respond: (r) => {
      current = r;
    },
    reply: (...replies) => {
      queued.push(...replies);
    },
    waitFor: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        if (requests.length >= count) return resolve(requests.slice());
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`receiver: expected ${count} requests within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== check);
          resolve(requests.slice());
        };
        waiters.push(check);
      }),
    clear: () => {
      requests.length = 0;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

/** Writes `total` bytes in 64 KiB chunks, respecting back-pressure; stops quietly if the client goes away. */
function streamBytes(res: import('node:http').ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = total;
  const pump = () => {
    while (left > 0 && !res.destroyed) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.on('error', () => {});
  pump();
}
