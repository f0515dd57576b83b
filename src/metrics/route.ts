import { Router, type RequestHandler } from 'express';
import type { MetricsHub } from './registry.js';

/** `GET /metrics`: the Prometheus text exposition, behind the API key (SPEC §10). */
export function metricsRoute(hub: MetricsHub, requireApiKey: RequestHandler): Router {
  const router = Router();
  router.get('/metrics', requireApiKey, async (_req, res, next) => {
    try {
      const { contentType, body } = await hub.scrape();
      res.set('Cache-Control', 'no-store').type(contentType).send(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
