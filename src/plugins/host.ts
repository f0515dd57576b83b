import type { Request, RequestHandler, Response, Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { HookBus } from '../hooks.js';
import type { Logger } from '../logger.js';
import type { Migration } from '../db/migrate.js';
import type { RedisLink } from '../redis/link.js';

/** What a plugin hands the host's layout: one page's content, to wrap in the host's admin shell. */
export interface AdminPageContent {
  /** The page title, plain text (the host escapes it). */
  title: string;
  /** The page's own markup, every value in it already escaped by the plugin. */
  body: string;
  /** URLs of the page's ES-module scripts (`<script type="module" src>`: no inline script, for a strict CSP). */
  scripts: readonly string[];
  /** URLs of the page's stylesheets. */
  styles: readonly string[];
}

/** What a host's admin gives a plugin's pages. */
export interface AdminHost {
  /** Where admin pages mount, e.g. `/admin`: the webhooks pages live under `<basePath>/webhooks`. */
  basePath: string;
  /**
   * Wraps a page in the host's admin layout (head, navigation, sign-out) and returns the whole
   * HTML document. Called only after `auth.requireAdmin` let the request through.
   */
  layout(content: AdminPageContent, req: Request, res: Response): string | Promise<string>;
  /**
   * The CSRF token of the request's admin session. The plugin's browser code sends it as
   * `X-CSRF-Token` on its API writes, which `auth.requireApiKey` must check for session requests.
   */
  csrfToken(req: Request, res: Response): string;
}
import type { MetricsHub } from '../metrics/registry.js';

/**
 * What a chat server hands a plugin. Any Socket.IO/express server that can provide these can
 * install the webhooks plugin (see the README, "Installing the plugin into another server").
 */
export interface PluginHost {
  /** Mounted at the server's root: the plugin adds its `/api/v1/...` routes and its admin pages under `admin.basePath`. */
  router: Router;
  sequelize: Sequelize;
  hooks: HookBus;
  logger: Logger;
  config: Config;
  auth: {
    /** 401 unless `Authorization: Bearer <api key>` or an admin session (with its CSRF token on writes) is valid. */
    requireApiKey: RequestHandler;
    /** Guards admin pages: without an admin session, the host's sign-in (a redirect); CSRF checked on writes. */
    requireAdmin: RequestHandler;
  };
  /** The host's admin: without it the plugin serves its API only, no pages. */
  admin?: AdminHost;
  /** The Redis several instances share (REDIS_URL), when there is one: webhook pauses and caps hold across them. */
  redis?: RedisLink;
  /**
   * The host's Prometheus registry, served at its `/metrics`: the plugin adds its webhook metrics.
   * Without one, the plugin serves `GET /metrics` itself (behind `requireApiKey`) with its own.
   */
  metrics?: MetricsHub;
  /** Adds an entry to the admin navigation (`path` already under `admin.basePath`). */
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
