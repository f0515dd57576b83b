import type { Transaction } from 'sequelize';
import type { Logger } from './logger.js';
import type { ChatEventName, EventData } from './events.js';

/** What a listener receives: the event, when it happened, and its SPEC §5 data. */
export type HookPayload<E extends ChatEventName = ChatEventName> = {
  event: E;
  occurredAt: Date;
  data: EventData<E>;
};

type Listener<E extends ChatEventName> = (payload: HookPayload<E>) => void | Promise<void>;
type DurableListener<E extends ChatEventName> = (payload: HookPayload<E>, transaction?: Transaction) => Promise<void>;

/**
 * Typed hook bus between the chat server and its plugins.
 *
 * Two kinds of listener:
 * - `on`: told after the chat's row is committed, on a later tick, isolated: a slow or throwing
 *   listener never delays or breaks the chat.
 * - `onDurable`: an outbox writer. It runs inside the chat's transaction (when the host passes one),
 *   so the event is committed together with the row that caused it, or not at all. It must only
 *   write to the database; a failure rolls the chat's write back and the visitor gets an error ack.
 *
 * @example hooks.on('message.received', ({ data }) => console.log(data.content));
 */
export class HookBus {
  readonly #listeners = new Map<ChatEventName, Listener<never>[]>();
  readonly #durable = new Map<ChatEventName, DurableListener<never>[]>();

  constructor(private readonly logger?: Logger) {}

  on<E extends ChatEventName>(event: E, listener: Listener<E>): () => void {
    return add(this.#listeners, event, listener as Listener<never>);
  }

  onDurable<E extends ChatEventName>(event: E, listener: DurableListener<E>): () => void {
    return add(this.#durable, event, listener as DurableListener<never>);
  }

  /**
   * Announces an event. With a transaction, durable listeners write inside it and the others are
   * told after it commits; without one, durable listeners run first and the others after them.
   * Resolves once the durable listeners are done: the caller acks after that.
   */
  async emit<E extends ChatEventName>(event: E, data: EventData<E>, options: { transaction?: Transaction; occurredAt?: Date } = {}): Promise<void> {
    const payload: HookPayload<E> = { event, occurredAt: options.occurredAt ?? new Date(), data };
    for (const listener of this.#durable.get(event) ?? []) {
      await (listener as DurableListener<E>)(payload, options.transaction);
    }
    if (options.transaction) options.transaction.afterCommit(() => this.#notify(payload));
    else this.#notify(payload);
  }

  #notify<E extends ChatEventName>(payload: HookPayload<E>): void {
    for (const listener of this.#listeners.get(payload.event) ?? []) {
      setImmediate(() => {
        try {
          Promise.resolve((listener as Listener<E>)(payload)).catch((err: unknown) => this.#failed(payload.event, err));
        } catch (err) {
          this.#failed(payload.event, err);
        }
      });
    }
  }

  #failed(event: string, err: unknown): void {
    this.logger?.error({ err, event }, 'hook listener failed');
  }
}

function add<T>(map: Map<ChatEventName, T[]>, event: ChatEventName, listener: T): () => void {
  const list = map.get(event) ?? [];
  list.push(listener);
  map.set(event, list);
  return () => {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  };
}
