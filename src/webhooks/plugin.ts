import { join } from 'node:path';
import got from 'got';
import { webhookMigrations } from '../../migrations/index.js';
import { SecretBox, loadAppKey } from '../crypto/secret-box.js';
import type { PluginHost, PluginInstance } from '../plugins/host.js';
import { packageRoot } from '../package-root.js';
import { createAddressGuard } from './http/address-guard.js';
import { webhooksAdminRoutes } from './admin/routes.js';
import { createWebhooksApi } from './api/index.js';
import { DeliveryEngine, type WebhookEngine } from './delivery/engine.js';
import { createDeliveryGot } from './http/sender.js';
import { createRetentionPruner } from './delivery/retention.js';
import { sharedWebhookLimits } from './delivery/shared-limits.js';
import { ThreadedDeliveryEngine, wantsDeliveryThread } from './thread/host.js';
import { MetricsHub } from '../metrics/registry.js';
import { metricsRoute } from '../metrics/route.js';
import { registerAttemptMetrics } from './delivery/metrics.js';
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
  let engine: WebhookEngine;
  let closeHttp = () => {};
  if (wantsDeliveryThread(config, sequelize)) {
    // Deliveries go out from a worker thread: HTTP to receivers never shares the chat's event loop.
    // The worker opens a Redis connection of its own: every POST asks Redis first, and a round
    // trip through the chat's thread for each would put delivery work back on the chat's event loop.
    const threaded = new ThreadedDeliveryEngine({ sequelize, config, logger, appKey, ...(host.redis ? { redisNamespace: host.redis.namespace } : {}) });
    await threaded.start();
    // The worker counts its attempts; every scrape reads them.
    metrics.addSource(() => threaded.metrics());
    engine = threaded;
  } else {
    const guard = createAddressGuard(config.WEBHOOK_ALLOWED_HOSTS);
    const http = createDeliveryGot(got, guard);
    const shared = host.redis ? sharedWebhookLimits(host.redis, config, logger) : null;
    const attempts = registerAttemptMetrics(metrics.registry);
    engine = new DeliveryEngine({ sequelize, config, logger, secretBox, got: http.got, guard, shared, metrics: attempts });
    closeHttp = () => http.close();
  }
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
      await engine.stop();
      closeHttp();
    },
  };
}

/** A host that keeps no registry still gets `GET /metrics`, with the process defaults and the webhook metrics. */
function ownMetrics(host: PluginHost): MetricsHub {
  const hub = new MetricsHub();
  host.router.use(metricsRoute(hub, host.auth.requireApiKey));
  return hub;
}
