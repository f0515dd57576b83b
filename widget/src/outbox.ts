import type { Ack } from './protocol.js';

/** One thing the visitor asked for that the server has not acknowledged yet. */
export interface OutboxItem {
  /** Local id: the message bubble it belongs to, and a message's `client_message_id`. */
  id: string;
  event: 'conversation:start' | 'message:send';
  payload: Record<string, unknown>;
}

/** Emits one item; resolves with the server's ack, rejects when no ack came (offline, timeout). */
export type Sender = (item: OutboxItem) => Promise<Ack<Record<string, unknown>>>;

export interface OutboxEvents {
  /** The server answered `item` (ok or a refusal); it has left the queue. */
  settled(item: OutboxItem, ack: Ack<Record<string, unknown>>): void;
  /** The queue changed (persist it). */
  changed(items: readonly OutboxItem[]): void;
}

export interface OutboxOptions {
  /** Tries of one item while online before "no answer" or `internal` is reported as its outcome. */
  maxAttempts?: number;
  /** Milliseconds to wait after the `attempt`-th try (1-based) went unanswered. */
  backoff?: (attempt: number) => number;
}

/** 1 s, 2 s, 4 s … capped at 15 s, each ±25 %, so a recovering server is not hit by every widget at once. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(15_000, 1_000 * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

const NO_ANSWER: Ack<Record<string, unknown>> = {
  ok: false,
  error: { code: 'internal', message: 'The server did not answer; it may not have been sent' },
};

/**
 * Sends queued items strictly one at a time, in order, each waiting for its ack, while online.
 *
 * An item whose outcome is unknown (no ack in time, or `internal`: "not known to be stored") is
 * sent again, the same payload with the same `client_message_id`, so the server answers a resend
 * with the original and a message is never stored twice (SPEC §3). While online it tries again
 * with backoff, up to `maxAttempts`; offline it waits at the head for the next `setOnline(true)`,
 * so order survives disconnects and reloads. Any other answer settles the item.
 */
export class Outbox {
  private readonly queue: OutboxItem[];
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => number;
  private online = false;
  private running: Promise<void> | null = null;
  /** Tries of the head item since it reached the head or the connection came back. */
  private attempts = 0;
  private wake: (() => void) | null = null;

  constructor(private readonly send: Sender, private readonly events: OutboxEvents, restored: readonly OutboxItem[] = [], options: OutboxOptions = {}) {
    this.queue = [...restored];
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoff = options.backoff ?? defaultBackoff;
  }

  get items(): readonly OutboxItem[] {
    return this.queue;
  }

  enqueue(item: OutboxItem): Promise<void> {
    this.queue.push(item);
    this.events.changed(this.queue);
    return this.flush();
  }

  setOnline(online: boolean): Promise<void> {
    if (online && !this.online) this.attempts = 0;
    this.online = online;
    // A reconnect ends a backoff wait at once; going offline ends it too (the loop then stops).
    this.wake?.();
    return this.flush();
  }

  /** Drains the queue if online; resolves when it is empty or offline. */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.drain().then(() => {
        this.running = null;
        // Something may have been queued, or the connection come back, after the loop's last check.
        if (this.online && this.queue.length) return this.flush();
      });
    }
    return this.running;
  }

  private async drain(): Promise<void> {
    while (this.online && this.queue.length) {
      const item = this.queue[0]!;
      let ack: Ack<Record<string, unknown>> | null;
      try {
        ack = await this.send(item);
      } catch {
        ack = null;
      }
      const unknown = ack === null || (!ack.ok && ack.error.code === 'internal');
      if (unknown) {
        if (ack === null && !this.online) return;
        this.attempts++;
        if (this.attempts < this.maxAttempts) {
          await this.pause(this.backoff(this.attempts));
          continue;
        }
      }
      this.attempts = 0;
      this.queue.shift();
      this.events.changed(this.queue);
      this.events.settled(item, ack ?? NO_ANSWER);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
