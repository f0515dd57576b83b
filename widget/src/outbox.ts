import type { Ack } from './protocol.js';

/** One thing the visitor asked for that the server has not acknowledged yet. */
export interface OutboxItem {
  /** Local id: the message bubble it belongs to. */
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

/**
 * Sends queued items strictly one at a time, in order, each waiting for its ack, while online.
 * An item whose send is not acknowledged stays at the head and goes again on the next
 * `setOnline(true)` or `enqueue`, so order survives disconnects and reloads. (An ack lost
 * in a dropped connection can therefore duplicate one message; losing it would be worse.)
 */
export class Outbox {
  private readonly queue: OutboxItem[];
  private online = false;
  private running: Promise<void> | null = null;

  constructor(private readonly send: Sender, private readonly events: OutboxEvents, restored: readonly OutboxItem[] = []) {
    this.queue = [...restored];
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
    this.online = online;
    return this.flush();
  }

  /** Drains the queue if online; resolves when it is empty or stalled. */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.drain().then((stalled) => {
        this.running = null;
        // Something may have been queued after the loop's last check.
        if (!stalled && this.online && this.queue.length) return this.flush();
      });
    }
    return this.running;
  }

  /** Returns true when it stopped because a send went unacknowledged. */
  private async drain(): Promise<boolean> {
    while (this.online && this.queue.length) {
      const item = this.queue[0]!;
      let ack: Ack<Record<string, unknown>>;
      try {
        ack = await this.send(item);
      } catch {
        return true;
      }
      this.queue.shift();
      this.events.changed(this.queue);
      this.events.settled(item, ack);
    }
    return false;
  }
}
