import { Gauge, type Registry } from 'prom-client';
import type { Sequelize } from 'sequelize';
import { pendingBacklog } from '../db/pending-backlog.js';

/**
 * `livechat_webhook_pending_deliveries{webhook_id}` and `livechat_webhook_oldest_pending_age_seconds{webhook_id}`
 * (SPEC §10), read from the table at scrape time: the table, not a process's memory, knows what waits,
 * whichever instance or thread wrote it. One query per scrape serves both gauges.
 */
export function registerBacklogMetrics(registry: Registry, sequelize: Sequelize, now: () => Date = () => new Date()): void {
  let reading: Promise<Awaited<ReturnType<typeof pendingBacklog>>> | null = null;
  // Both gauges collect in the same scrape: the first starts the query, the second shares it.
  const read = () => {
    reading ??= pendingBacklog(sequelize).finally(() => setImmediate(() => (reading = null)));
    return reading;
  };
  new Gauge({
    name: 'livechat_webhook_pending_deliveries',
    help: 'Deliveries waiting to be sent (first attempt or retry, held ones of disabled webhooks included), by webhook.',
    labelNames: ['webhook_id'] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
      this.reset();
      for (const row of rows) this.set({ webhook_id: String(row.webhookId) }, row.pending);
    },
  });
  new Gauge({
    name: 'livechat_webhook_oldest_pending_age_seconds',
    help: 'Age of the oldest pending delivery, by webhook (0 when none waits).',
    labelNames: ['webhook_id'] as const,
    registers: [registry],
    async collect() {
      const rows = await read();
      const at = now().getTime();
      this.reset();
      for (const row of rows) {
        this.set({ webhook_id: String(row.webhookId) }, row.oldestCreatedAt ? Math.max(0, (at - row.oldestCreatedAt.getTime()) / 1000) : 0);
      }
    },
  });
}
