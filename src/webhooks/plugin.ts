import got from 'got';
import { webhookMigrations } from '../../migrations/index.js';
import { SecretBox, loadAppKey } from '../crypto/secret-box.js';
import type { PluginHost, PluginInstance } from '../plugins/host.js';
import { createAddressGuard } from './address-guard.js';
import { createWebhooksApi } from './api/index.js';
import { DeliveryEngine } from './engine.js';
import { createDeliveryGot } from './sender.js';
import { createRetentionPruner } from './retention.js';

/** The webhooks plugin's tables. */
export const migrations = webhookMigrations;

/** A running webhooks plugin; `engine` is exposed for tests and for hosts that drive it themselves. */
export interface WebhooksPluginInstance extends PluginInstance {
  engine: DeliveryEngine;
}

/** Subscribes to the chat hooks, mounts the API, starts the sweeper and the delivery-log pruner. */
export async function register(host: PluginHost): Promise<WebhooksPluginInstance> {
  const { config, logger, sequelize } = host;
  const secretBox = new SecretBox(loadAppKey(config.APP_KEY, config.DATA_DIR));
  const guard = createAddressGuard(config.WEBHOOK_ALLOWED_HOSTS);
  const http = createDeliveryGot(got, guard);
  const engine = new DeliveryEngine({ sequelize, config, logger, secretBox, got: http.got, guard });
  engine.attach(host.hooks);
  host.router.use(createWebhooksApi({ sequelize, config, engine, secretBox, logger, requireApiKey: host.auth.requireApiKey }));
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
      http.close();
    },
  };
}
