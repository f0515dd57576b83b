import { AggregatorRegistry, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** Metrics another thread keeps (the delivery worker's), read as JSON at scrape time. */
export type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;

/**
 * The process's Prometheus registry (SPEC §10): the process defaults, the chat's counters, the
 * plugin's. Threads with registries of their own are added as sources and summed into each scrape,
 * so a scrape shows every attempt whichever thread made it.
 */
export class MetricsHub {
  readonly registry = new Registry();
  readonly #sources: MetricsSource[] = [];

  constructor(options: { defaults?: boolean } = {}) {
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Adds another thread's metrics to every scrape; a source that fails is left out of that scrape. */
  addSource(source: MetricsSource): void {
    this.#sources.push(source);
  }

  /** The text exposition of this registry and every source. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    if (this.#sources.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const parts = await Promise.all([this.registry.getMetricsAsJSON(), ...this.#sources.map((source) => source().catch(() => []))]);
    const merged = AggregatorRegistry.aggregate(parts);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}
