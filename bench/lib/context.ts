import type { Receiver } from './receiver.js';
import type { Settings } from './settings.js';

/** What every scenario gets: the run's settings, the shared receiver process and a progress logger. */
export interface BenchContext {
  settings: Settings;
  receiver: Receiver;
  log(line: string): void;
  /** Figures one scenario hands to a later one, e.g. the durable throughput for the backlog drain. */
  figures: Map<string, number>;
}
