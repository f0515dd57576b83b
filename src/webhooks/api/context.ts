import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { WebhookEngine } from '../delivery/engine.js';
import type { WebhookAdmin, WebhookEntry } from '../db/webhook-admin.js';
import type { DeliveryLogs } from '../db/delivery-logs.js';
import type { AttemptStats } from '../db/attempt-stats.js';
import { NotFoundError } from './errors.js';

/** What the route handlers share: repositories, the engine, the secret box, configuration. */
export interface ApiContext {
  webhooks: WebhookAdmin;
  logs: DeliveryLogs;
  stats: AttemptStats;
  engine: WebhookEngine;
  secretBox: SecretBox;
  config: Config;
  logger: Logger;
  /** Addresses of a hostname, for the URL rules (defaults to the system resolver). */
  resolveHost?: (host: string) => Promise<string[]>;
}

/** The webhook named by a (validated) path id, or 404. */
export async function requireWebhook(ctx: ApiContext, id: string): Promise<WebhookEntry> {
  const webhook = await ctx.webhooks.get(Number(id));
  if (!webhook) throw new NotFoundError('Webhook not found');
  return webhook;
}
