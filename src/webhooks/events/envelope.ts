import type { Envelope, EventData, EventName } from '../../events.js';

/**
 * The SPEC §5 envelope. `timestamp` is when the event happened, not when it is sent, so every
 * retry carries the same one (the body bytes are stored once anyway).
 */
export function buildEnvelope<E extends EventName>(event: E, deliveryId: string, occurredAt: Date, data: EventData<E>): Envelope<E> {
  return { event, delivery_id: deliveryId, timestamp: occurredAt.toISOString(), data };
}
