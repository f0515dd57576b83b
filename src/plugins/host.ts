import type { RequestHandler, Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { HookBus } from '../hooks.js';
import type { Logger } from '../logger.js';
import type { Migration } from '../db/migrate.js';
import type { MetricsHub } from '../metrics/registry.js';

/**
 * What a chat server hands a plugin. Any Socket.IO/express server that can provide these can
 * install the webhooks plugin (see the README, "Installing the plugin into another server").
 */
export interface PluginHost {
  /** Mounted at the server's root: the plugin adds its `/api/v1/...` and `/admin/...` routes here. */
  router: Router;
  sequelize: Sequelize;
  hooks: HookBus;
  logger: Logger;
  config: Config;
  auth: {
    /** 401 unless `Authorization: Bearer <api key>` (or an admin session) is valid. */
    requireApiKey: RequestHandler;
    /** Redirects to the admin sign-in page without an admin session; checks CSRF on writes. */
    requireAdmin: RequestHandler;
  };
  /**
   * The host's Prometheus registry, served at its `/metrics`: the plugin adds its webhook metrics.
   * Without one, the plugin serves `GET /metrics` itself (behind `requireApiKey`) with its own.
   */
  metrics?: MetricsHub;
  /** Adds an entry to the admin navigation. */
  addAdminPage(page: { path: string; title: string; section: string }): void;
}

/** A plugin's running instance. `stop` finishes or hands back in-flight work. */
export interface PluginInstance {
  stop(): Promise<void>;
}

/** What a plugin's entry module exports. */
export interface PluginModule {
  migrations?: readonly Migration[];
  register(host: PluginHost): Promise<PluginInstance> | PluginInstance;
}
