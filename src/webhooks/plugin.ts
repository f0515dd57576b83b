import { join } from 'node:path';
import { webhookMigrations } from '../../migrations/index.js';
import { SecretBox, loadAppKey } from '../crypto/secret-box.js';
import type { PluginHost, PluginInstance } from '../plugins/host.js';
import { packageRoot } from '../package-root.js';
import { webhooksAdminRoutes } from './admin/routes.js';
import { createWebhooksApi } from './api/index.js';
import { buildDeliveryEngine } from './delivery/build.js';
import type { WebhookEngine } from './delivery/engine.js';
import { createRetentionPruner } from './delivery/retention.js';
import { MetricsHub } from '../metrics/registry.js';
import { metricsRoute } from '../metrics/route.js';
import { registerBacklogMetrics } from './delivery/backlog-metrics.js';

/** The webhooks plugin's tables. */
export const migrations = webhookMigrations;

/** A running webhooks plugin; `engine` is exposed for tests and for hosts that drive it themselves. */
export interface WebhooksPluginInstance extends PluginInstance {
  engine: WebhookEngine;
}

/** This package's plugin.json, for a host that reads it (`registerPlugin(readManifest(manifestPath), plugin, host)`). */
export const manifestPath = join(packageRoot, 'plugin.json');

/** Subscribes to the chat hooks, mounts the API and the admin pages, starts the sweeper and the delivery-log pruner. */
export async function register(host: PluginHost): Promise<WebhooksPluginInstance> {
  const { config, logger, sequelize } = host;
  const appKey = loadAppKey(config.APP_KEY, config.DATA_DIR);
  const secretBox = new SecretBox(appKey);
  const metrics = host.metrics ?? ownMetrics(host);
  registerBacklogMetrics(metrics.registry, sequelize);
  // In a worker thread (WEBHOOK_WORKER=thread on MariaDB) or in this one: the same calls either way.
  const delivery = await buildDeliveryEngine({ sequelize, config, logger, appKey, secretBox, metrics, redis: host.redis ?? null });
  const { engine } = delivery;
  engine.attach(host.hooks);
  host.router.use(createWebhooksApi({ sequelize, config, engine, secretBox, logger, requireApiKey: host.auth.requireApiKey }));
  if (host.admin) host.router.use(webhooksAdminRoutes({ root: packageRoot, admin: host.admin, requireAdmin: host.auth.requireAdmin, logger }));
  engine.startSweeper(config.WEBHOOK_SWEEP_CRON);
  const retention = createRetentionPruner({ sequelize, retentionDays: config.DELIVERY_RETENTION_DAYS, logger });
  retention.start();
  // Deliveries left pending by a previous run (or another instance) go out now, not at the first tick.
  engine.wake();
  return {
    engine,
    stop: async () => {
      await retention.stop();
      await delivery.stop();
    },
  };
}

/** A host that keeps no registry still gets `GET /metrics`, with the process defaults and the webhook metrics. */
function ownMetrics(host: PluginHost): MetricsHub {
  const hub = new MetricsHub();
  host.router.use(metricsRoute(hub, host.auth.requireApiKey));
  return hub;
}
