import { io, type Socket } from 'socket.io-client';
import { sleep } from './child-server.js';

type Ack = { ok: true; message_id: number; conversation_id: number } | { ok: false; error: { code: string; message: string } };

export interface VisitorLoadOptions {
  /** Base URLs; visitor i connects to urls[i % urls.length]. */
  urls: string[];
  visitors: number;
  /** Unique prefix of every content, so runs never mix. */
  prefix: string;
  /** How long a visitor waits for an ack before counting the send as unacknowledged. */
  ackTimeoutMs?: number;
  /** Pause between one visitor's messages. */
  pauseMs?: number;
}

/** What the load generator saw. Contents are `${prefix}:${visitor}:${n}`. */
export interface LoadFigures {
  sent: number;
  /** content → message_id for every `{ ok: true }` ack. */
  acked: Map<string, number>;
  /** Error acks by code. */
  errors: Record<string, number>;
  /** Sends whose ack never came within the ack timeout (server killed, connection lost). */
  unanswered: number;
  /** Their contents: stored or not, the visitor cannot know. */
  unansweredContents: string[];
  /** Longest time to any ack, ok or error, in ms. */
  maxAckMs: number;
  /** Every ack's latency, in ms, with the time it came (for "during the outage" questions). */
  acks: { at: number; ms: number; ok: boolean; code?: string }[];
}

/**
 * Visitors on the `/widget` namespace, each sending messages one after another for as long as the
 * load runs. They keep their visitor token across reconnects, as the widget does, so a restarted
 * server resumes the same visitors and conversations.
 */
export class VisitorLoad {
  readonly figures: LoadFigures = { sent: 0, acked: new Map(), errors: {}, unanswered: 0, unansweredContents: [], maxAckMs: 0, acks: [] };
  readonly #sockets: Socket[] = [];
  readonly #loops: Promise<void>[] = [];
  #running = false;
  #paused = false;

  constructor(private readonly options: VisitorLoadOptions) {}

  start(): void {
    this.#running = true;
    for (let i = 0; i < this.options.visitors; i++) {
      const url = this.options.urls[i % this.options.urls.length]!;
      let token: string | undefined;
      const socket = io(`${url}/widget`, {
        transports: ['websocket'],
        reconnectionDelay: 100,
        reconnectionDelayMax: 500,
        auth: (cb) => cb(token ? { token } : {}),
      });
      socket.on('session', (s: { visitor_token?: string }) => {
        if (s?.visitor_token) token = s.visitor_token;
      });
      this.#sockets.push(socket);
      this.#loops.push(this.#loop(socket, i));
    }
  }

  /** Holds new sends (those in flight finish). */
  pause(paused: boolean): void {
    this.#paused = paused;
  }

  async #loop(socket: Socket, visitor: number): Promise<void> {
    const timeout = this.options.ackTimeoutMs ?? 15_000;
    let n = 0;
    while (this.#running) {
      if (!socket.connected || this.#paused) {
        await sleep(50);
        continue;
      }
      const content = `${this.options.prefix}:${visitor}:${n++}`;
      const started = Date.now();
      this.figures.sent++;
      try {
        const ack = (await socket.timeout(timeout).emitWithAck('message:send', { content })) as Ack;
        const ms = Date.now() - started;
        this.figures.maxAckMs = Math.max(this.figures.maxAckMs, ms);
        if (ack?.ok) {
          this.figures.acked.set(content, ack.message_id);
          this.figures.acks.push({ at: Date.now(), ms, ok: true });
        } else {
          const code = ack?.error?.code ?? 'malformed_ack';
          this.figures.errors[code] = (this.figures.errors[code] ?? 0) + 1;
          this.figures.acks.push({ at: Date.now(), ms, ok: false, code });
        }
      } catch {
        this.figures.unanswered++;
        this.figures.unansweredContents.push(content);
      }
      if (this.options.pauseMs) await sleep(this.options.pauseMs);
    }
  }

  /** Stops sending, waits for the acks in flight, disconnects. */
  async stop(): Promise<LoadFigures> {
    this.#running = false;
    await Promise.all(this.#loops);
    for (const socket of this.#sockets) socket.disconnect();
    return this.figures;
  }
}
