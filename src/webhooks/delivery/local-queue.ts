import type { ClaimedDelivery } from '../db/delivery-rows.js';
import type { WebhookRecord } from '../db/webhook-store.js';

/** A row claimed ahead of a free slot, with the webhook as the claim read it. */
export interface HeldRow {
  row: ClaimedDelivery;
  webhook: WebhookRecord;
  heldAtMs: number;
}

/**
 * idle: nothing held. holding: rows held for at least one webhook. releasing: the engine is
 * stopping; nothing more is held or started, and what is held waits to be handed back.
 * stopped: everything was handed back.
 */
export type LocalQueueMode = 'idle' | 'holding' | 'releasing' | 'stopped';

/**
 * Rows claimed ahead for webhooks whose slots were all taken (a backlog): a freed slot starts the
 * next one at once instead of costing a claim transaction per POST. Held briefly, then handed back.
 * In memory only: handing back answers the rows, and the caller unleases them.
 */
export class LocalQueue {
  readonly #held = new Map<number, HeldRow[]>();
  #ending: 'releasing' | 'stopped' | null = null;

  /**
   * `cap`: most rows held per webhook. `maxWaitMs`: how long a row may wait for a slot before it is
   * handed back to the table.
   */
  constructor(
    readonly cap: number,
    readonly maxWaitMs: number,
  ) {}

  get mode(): LocalQueueMode {
    return this.#ending ?? (this.#held.size > 0 ? 'holding' : 'idle');
  }

  has(webhookId: number): boolean {
    return this.#held.has(webhookId);
  }

  /** Webhooks with rows held. */
  webhookIds(): number[] {
    return [...this.#held.keys()];
  }

  /** How many more rows the webhook may have claimed ahead. */
  room(webhookId: number): number {
    return Math.max(0, this.cap - (this.#held.get(webhookId)?.length ?? 0));
  }

  hold(held: HeldRow): void {
    let queue = this.#held.get(held.row.webhookId);
    if (!queue) this.#held.set(held.row.webhookId, (queue = []));
    queue.push(held);
  }

  /**
   * The webhook's held rows to start now, oldest first, one per slot `take` grants; null while the
   * queue is stopping. Rows held too long (a slow receiver) are answered in `expired`, to go back
   * to the table, where they are due at once, rather than be sent with a lease nearly spent or a
   * webhook record that may have changed since. `left`: rows still held, null when none were left to start.
   */
  next(webhookId: number, nowMs: number, take: () => boolean): { ready: HeldRow[]; expired: HeldRow[]; left: number | null } | null {
    if (this.#ending) return null;
    const oldest = this.#held.get(webhookId)?.[0];
    const expired = oldest && nowMs - oldest.heldAtMs > this.maxWaitMs ? this.handBack([webhookId], (held) => nowMs - held.heldAtMs > this.maxWaitMs) : [];
    const queue = this.#held.get(webhookId);
    if (!queue) return { ready: [], expired, left: null };
    const ready: HeldRow[] = [];
    while (queue.length > 0 && take()) ready.push(queue.shift()!);
    if (queue.length === 0) this.#held.delete(webhookId);
    return { ready, expired, left: queue.length };
  }

  /** Takes out the held rows of these webhooks that `which` selects, to go back to the table. */
  handBack(webhookIds: number[], which: (held: HeldRow) => boolean): HeldRow[] {
    const back: HeldRow[] = [];
    for (const webhookId of webhookIds) {
      const queue = this.#held.get(webhookId);
      if (!queue) continue;
      const keep = queue.filter((held) => !which(held));
      back.push(...queue.filter(which));
      if (keep.length) this.#held.set(webhookId, keep);
      else this.#held.delete(webhookId);
    }
    return back;
  }

  /** The engine is stopping: nothing more starts from the queue. */
  stop(): void {
    this.#ending ??= 'releasing';
  }

  /** Takes out every held row, to go back to the table now rather than when their leases run out. */
  releaseAll(): HeldRow[] {
    const back = this.handBack(this.webhookIds(), () => true);
    this.#ending = 'stopped';
    return back;
  }
}
