import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** One POST as the receiver saw it. */
export interface LedgerEntry {
  deliveryId: string;
  event: string;
  /** `data.content` of message events, else null. */
  content: string | null;
  /** Date.now() when the body had arrived. */
  arrivedAt: number;
  status: number;
  /** Date.now() when the answer was fully written, or null if the sender went away first. */
  answeredAt: number | null;
  /** The sender closed the connection before the answer was written (timeout, crash). */
  aborted: boolean;
  /** The sender's TCP port: which process sent it. */
  remotePort: number;
}

/** How to answer: a status, optionally after a pause (an attempt held in flight). */
export type LedgerResponder = (entry: LedgerEntry, previous: readonly LedgerEntry[]) => { status: number; delayMs?: number };

export interface Ledger {
  url: string;
  entries: LedgerEntry[];
  respond(responder: LedgerResponder): void;
  /** Requests in flight right now (arrived, not answered, not aborted). */
  inFlight(): number;
  /** The same, only those sent from one of these local ports. */
  inFlightFrom(ports: Set<number>): number;
  /** Contents answered with a 2xx at least once. */
  deliveredContents(event?: string): Set<string>;
  /** 2xx answers beyond the first per delivery_id: what a receiver de-duplicating on the id would drop. */
  duplicates(event?: string): number;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 that keeps a ledger of every delivery it got, by delivery_id
 * and message content, and whether it answered before the sender went away.
 */
export async function startLedger(responder: LedgerResponder = () => ({ status: 200 })): Promise<Ledger> {
  const entries: LedgerEntry[] = [];
  const byDelivery = new Map<string, LedgerEntry[]>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let current = responder;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { event?: string; delivery_id?: string; data?: { content?: unknown } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // Recorded with empty fields; the assertions will notice.
      }
      const deliveryId = String(req.headers['x-webhook-delivery'] ?? body.delivery_id ?? '');
      const previous = byDelivery.get(deliveryId) ?? [];
      const entry: LedgerEntry = {
        deliveryId,
        event: String(body.event ?? req.headers['x-webhook-event'] ?? ''),
        content: typeof body.data?.content === 'string' ? body.data.content : null,
        arrivedAt: Date.now(),
        status: 0,
        answeredAt: null,
        aborted: false,
        remotePort: req.socket.remotePort ?? 0,
      };
      const answer = current(entry, previous);
      entry.status = answer.status;
      entries.push(entry);
      byDelivery.set(deliveryId, [...previous, entry]);
      res.on('finish', () => {
        entry.answeredAt = Date.now();
      });
      res.on('close', () => {
        if (!res.writableFinished) entry.aborted = true;
      });
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      if (answer.delayMs) {
        const t = setTimeout(() => {
          timers.delete(t);
          send();
        }, answer.delayMs);
        timers.add(t);
      } else send();
    });
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  const answered2xx = (event?: string) =>
    entries.filter((e) => e.answeredAt !== null && e.status >= 200 && e.status < 300 && (!event || e.event === event));

  return {
    url: `http://127.0.0.1:${port}/hook`,
    entries,
    respond: (r) => {
      current = r;
    },
    inFlight: () => entries.filter((e) => e.answeredAt === null && !e.aborted).length,
    inFlightFrom: (ports) => entries.filter((e) => e.answeredAt === null && !e.aborted && ports.has(e.remotePort)).length,
    deliveredContents: (event) => new Set(answered2xx(event).flatMap((e) => (e.content === null ? [] : [e.content]))),
    duplicates: (event) => {
      const ok = answered2xx(event);
      return ok.length - new Set(ok.map((e) => e.deliveryId)).size;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
