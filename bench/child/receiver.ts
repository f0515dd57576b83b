import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { serveParent } from '../lib/child.js';

/**
 * The webhook receiver of every benchmark, in a process of its own (a real receiver is another
 * machine; here it at least does not share the event loop it is measuring). The first path
 * segment picks the behaviour:
 *   /ok      200 as soon as the body is read
 *   /fail    500
 *   /hang    never answers (the sender's timeout ends it)
 *   /timed   200, and records when the request arrived against the event's data.message_id
 * Arrival times are process.hrtime readings (CLOCK_MONOTONIC, the same clock in every process).
 */
type Route = 'ok' | 'fail' | 'hang' | 'timed' | 'other';

const counts: Record<Route, number> = { ok: 0, fail: 0, hang: 0, timed: 0, other: 0 };
let deliveryIds = new Set<string>();
let duplicates = 0;
let arrivals: [number, number][] = [];
const sockets = new Set<Socket>();
let port = 0;

const server = createServer({ keepAliveTimeout: 120_000 }, handle);
server.headersTimeout = 130_000;
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});

function handle(req: IncomingMessage, res: ServerResponse): void {
  const arrivedMs = Number(process.hrtime.bigint()) / 1e6;
  const route = routeOf(req.url ?? '/');
  counts[route]++;
  const deliveryId = req.headers['x-webhook-delivery'];
  if (typeof deliveryId === 'string') {
    if (deliveryIds.has(deliveryId)) duplicates++;
    else deliveryIds.add(deliveryId);
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => {
    if (route === 'timed') chunks.push(chunk);
  });
  req.on('end', () => {
    if (route === 'hang') return;
    if (route === 'timed') {
      const id = messageIdOf(Buffer.concat(chunks).toString('utf8'));
      if (id !== null) arrivals.push([id, arrivedMs]);
    }
    res.writeHead(route === 'fail' ? 500 : 200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
}

function routeOf(url: string): Route {
  const first = url.split('/')[1] ?? '';
  return first === 'ok' || first === 'fail' || first === 'hang' || first === 'timed' ? first : 'other';
}

function messageIdOf(body: string): number | null {
  try {
    const id = (JSON.parse(body) as { data?: { message_id?: unknown } }).data?.message_id;
    return typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

function listen(onPort: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(onPort, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function close(): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

serveParent(
  {
    /** Starts listening (on the port it had before, after a `down`). */
    listen: async () => (port = await listen(port)),
    /** The endpoint goes away: connections are refused until `listen` again. */
    down: () => close(),
    counts: () => ({ ...counts, distinct: deliveryIds.size, duplicates }),
    /** [message_id, arrival ms] pairs recorded since the last call. */
    arrivals: () => {
      const taken = arrivals;
      arrivals = [];
      return taken;
    },
    reset: () => {
      for (const key of Object.keys(counts) as Route[]) counts[key] = 0;
      deliveryIds = new Set();
      duplicates = 0;
      arrivals = [];
      return null;
    },
  },
  close,
);
