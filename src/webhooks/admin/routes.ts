import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../../logger.js';
import type { PluginHost } from '../../plugins/host.js';
import { assetRoute } from '../../ui/asset-route.js';
import { html, type SafeHtml } from '../../ui/html.js';
import { loadWebhooksAdminAssets } from './assets.js';
import { deliveriesBody } from './pages/deliveries.js';
import { deliveryBody } from './pages/delivery.js';
import { webhookFormBody } from './pages/webhook-form.js';
import { webhooksBody } from './pages/webhooks.js';

const webhookId = (value: unknown): number | null => (typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : null);
const deliveryId = (value: unknown): string | null => (typeof value === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(value) ? value : null);

export interface WebhooksAdminDeps {
  /** The package root, where src/webhooks/admin/client (a checkout) or dist/webhooks-admin-assets (a package) live. */
  root: string;
  admin: NonNullable<PluginHost['admin']>;
  requireAdmin: PluginHost['auth']['requireAdmin'];
  logger: Logger;
}

/**
 * The Webhooks pages (list, form, delivery logs, one delivery) under `<admin base>/webhooks`, and
 * their client bundles under `<admin base>/webhooks/assets/`. Each page is the plugin's escaped
 * markup in the host's layout; its script calls the REST API with the session and CSRF token.
 */
export function webhooksAdminRoutes(deps: WebhooksAdminDeps): Router {
  const router = express.Router();
  const base = `${deps.admin.basePath.replace(/\/+$/, '')}/webhooks`;
  const assetsBase = `${base}/assets`;
  const assets = loadWebhooksAdminAssets(deps.root);
  assets.catch((err: unknown) => deps.logger.error({ err }, 'webhooks admin bundles could not be built'));

  // Code and styles, no data: served without a session, like any static file.
  router.get(`${assetsBase}/*path`, assetRoute(assets));

  const send = async (req: Request, res: Response, title: string, script: string | null, body: SafeHtml, status = 200) => {
    try {
      // The page root carries what the browser code needs from the host: its CSRF token and where these pages live.
      const content = html`<div class="webhooks-admin" data-webhooks-base="${base}" data-csrf-token="${deps.admin.csrfToken(req, res)}">${body}</div>`;
      const document = await deps.admin.layout(
        { title, body: content.value, scripts: script ? [`${assetsBase}/${script}.js`] : [], styles: [`${assetsBase}/webhooks.css`] },
        req,
        res,
      );
      res.status(status).set('Cache-Control', 'no-store').type('html').send(document);
    } catch (err) {
      deps.logger.error({ err, path: req.path }, 'webhooks admin page failed');
      if (!res.headersSent) res.status(500).type('text/plain').send('The page could not be rendered; see the server log.');
    }
  };
  const notFound = (req: Request, res: Response) =>
    send(req, res, 'Not found', null, html`<div class="card"><h1>Not found</h1><p><a href="${base}">Back to webhooks</a></p></div>`, 404);

  const signedIn = deps.requireAdmin;
  router.get(base, signedIn, (req, res) => send(req, res, 'Webhooks', 'webhooks', webhooksBody(base)));
  router.get(`${base}/new`, signedIn, (req, res) => send(req, res, 'Create webhook', 'webhook-form', webhookFormBody(base)));
  router.get(`${base}/:id/edit`, signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    if (id === null) return notFound(req, res);
    return send(req, res, 'Edit webhook', 'webhook-form', webhookFormBody(base, id));
  });
  router.get(`${base}/:id/deliveries`, signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    if (id === null) return notFound(req, res);
    return send(req, res, 'Delivery logs', 'deliveries', deliveriesBody(base, id));
  });
  router.get(`${base}/:id/deliveries/:deliveryId`, signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    const delivery = deliveryId(req.params.deliveryId);
    if (id === null || delivery === null) return notFound(req, res);
    return send(req, res, 'Delivery', 'delivery', deliveryBody(base, id, delivery));
  });
  return router;
}
