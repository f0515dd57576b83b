import type { Server } from 'socket.io';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { HookBus } from '../hooks.js';
import type { Logger } from '../logger.js';
import type { ApiKeyStore } from '../auth/api-keys.js';

export interface ChatDeps {
  io: Server;
  sequelize: Sequelize;
  hooks: HookBus;
  logger: Logger;
  config: Config;
  apiKeys: ApiKeyStore;
}

/** Attaches the `/widget` and `/agent` namespaces. (Filled in by the chat server work.) */
export function attachChat(_deps: ChatDeps): { close(): Promise<void> } {
  return { close: async () => {} };
}
