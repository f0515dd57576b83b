import type { Ledger } from './ledger.js';
import type { LoadFigures } from './visitors.js';

/** What one fault scenario measured; `npm run chaos` prints one row per scenario. */
export interface ScenarioFigures {
  scenario: string;
  /** Messages the visitors sent. */
  sent: number;
  /** Messages whose `{ ok: true }` ack the visitor got: each must be delivered. */
  acknowledged: number;
  /** Acknowledged messages the receiver answered 2xx at least once. */
  delivered: number;
  /** Acknowledged and never delivered. Must be 0. */
  lost: number;
  /** 2xx deliveries beyond the first of the same delivery_id (at-least-once redeliveries). */
  duplicates: number;
  /** Faults injected: kills, outages, misbehaving receivers, ... */
  faults: number;
  /** Scenario-specific figures (error acks, longest ack, shutdown time, ...). */
  details: Record<string, number | string | boolean>;
  /** Human-readable problems; empty when the scenario held. */
  problems: string[];
}

/** Compares what the visitors were promised with what the receiver got. */
export function tally(load: LoadFigures, ledger: Ledger): Pick<ScenarioFigures, 'sent' | 'acknowledged' | 'delivered' | 'lost' | 'duplicates'> & {
  lostContents: string[];
} {
  const delivered = ledger.deliveredContents('message.received');
  const lostContents = [...load.acked.keys()].filter((content) => !delivered.has(content));
  return {
    sent: load.sent,
    acknowledged: load.acked.size,
    delivered: load.acked.size - lostContents.length,
    lost: lostContents.length,
    duplicates: ledger.duplicates('message.received'),
    lostContents,
  };
}
