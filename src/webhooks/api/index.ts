import express, { type RequestHandler, type Router } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { WebhookEngine } from '../delivery/engine.js';
import { WebhookAdmin } from '../db/webhook-admin.js';
import { DeliveryLogs } from '../db/delivery-logs.js';
import { AttemptStats } from '../db/attempt-stats.js';
import type { ApiContext } from './context.js';
import { apiErrorHandler } from './error-handler.js';
import { NotFoundError } from './errors.js';
import { buildOpenApiDocument, OPENAPI_PATH } from './openapi.js';
import { mountRoutes, type ApiRoute } from './route.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { webhookRoutes } from './routes/webhooks.js';
import { statsRoutes } from './routes/stats.js';

export const API_PREFIX = '/api/v1';
export const BODY_LIMIT = '100kb';

export interface WebhooksApiDeps {
  sequelize: Sequelize;
  config: Config;
  engine: WebhookEngine;
  secretBox: SecretBox;
  logger: Logger;
  /**
   * The host's API-key check (Bearer key or admin session). It also slows down key guessing
   * (429), as the host's requireApiKey does: only the host knows its keys, so only it can count
   * failures against the key being guessed rather than lock out a whole address.
   */
  requireApiKey: RequestHandler;
  /** Addresses of a hostname for the URL rules; defaults to the system resolver. */
  resolveHost?: (host: string) => Promise<string[]>;
}

/** Every route of the API, in mounting order (the OpenAPI document lists the same table). */
export function webhooksApiRoutes(ctx: ApiContext): ApiRoute[] {
  return [...webhookRoutes(ctx), ...deliveryRoutes(ctx), ...statsRoutes(ctx)];
}

/**
 * The webhooks REST API (SPEC §8) as an express router to mount at the server's root: routes
 * under /api/v1/webhooks behind the API key, and the OpenAPI document at /api/v1/openapi.json.
 * Other /api/v1 paths pass through untouched.
 * @example host.router.use(createWebhooksApi({ sequelize, config, engine, secretBox, logger, requireApiKey: host.auth.requireApiKey }));
 */
export function createWebhooksApi(deps: WebhooksApiDeps): Router {
  const ctx: ApiContext = {
    webhooks: new WebhookAdmin(deps.sequelize),
    logs: new DeliveryLogs(deps.sequelize),
    stats: new AttemptStats(deps.sequelize),
    engine: deps.engine,
    secretBox: deps.secretBox,
    config: deps.config,
    logger: deps.logger,
    ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
  };
  const routes = webhooksApiRoutes(ctx);
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;

  const api = express.Router();
  api.get(OPENAPI_PATH, (_req, res) => {
    res.json((document ??= buildOpenApiDocument(routes, { title: 'Live-chat webhooks API', version: '1.0.0' })));
  });
  // Authentication comes before body parsing: a caller without a key learns nothing, not even
  // whether their JSON was well-formed.
  api.use('/webhooks', deps.requireApiKey, express.json({ limit: BODY_LIMIT }));
  mountRoutes(api, routes);
  api.use('/webhooks', () => {
    throw new NotFoundError('No such endpoint');
  });
  api.use(apiErrorHandler(deps.logger, BODY_LIMIT));

  const router = express.Router();
  router.use(API_PREFIX, api);
  return router;
}
