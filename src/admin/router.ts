import express, { type Request, type Response, type Router } from 'express';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { SessionTokens } from '../auth/session.js';
import type { Logger } from '../logger.js';
import { loadAdminAssets } from './assets.js';
import { adminSession, requireAdminSession, sessionOf } from './auth.js';
import { html, type SafeHtml } from './html.js';
import { page, type AdminNavItem } from './layout.js';
import { DEFAULT_ADMIN_PATH } from './next-path.js';
import { conversationsBody } from './pages/conversations.js';
import { deliveriesBody } from './pages/deliveries.js';
import { deliveryBody } from './pages/delivery.js';
import { webhookFormBody } from './pages/webhook-form.js';
import { webhooksBody } from './pages/webhooks.js';
import { securityHeaders } from './security-headers.js';
import { signInRoutes } from './sign-in.js';
import type { LimiterFactory } from '../redis/limiters.js';
import { originOf } from '../widget-host/routes.js';

export interface AdminRouterDeps {
  /** The project root, where src/admin/client or dist/admin-assets live. */
  root: string;
  apiKeys: ApiKeyStore;
  tokens: SessionTokens;
  logger: Logger;
  /** The navigation, read on every request (plugins add pages after the router is built). */
  nav: () => readonly AdminNavItem[];
  maxLoginFailures?: number;
  /** Where the sign-in guard counts failures (Redis when instances share one). */
  limiters?: LimiterFactory;
  /** PUBLIC_URL: the origin the widget snippet names; otherwise the one the request came to. */
  publicUrl?: string;
}

/** The console's own pages, before the plugins' (which arrive through addAdminPage). */
export const corePages: readonly AdminNavItem[] = [{ path: '/admin/conversations', title: 'Conversations', section: 'Live Chat' }];

const webhookId = (value: unknown): number | null => (typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : null);
const deliveryId = (value: unknown): string | null => (typeof value === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(value) ? value : null);

/**
 * The admin console: sign-in, the page shells and their client bundles under /admin/assets.
 * Pages are thin: server-rendered, escaped HTML whose scripts call the REST API and /agent socket.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = express.Router();
  const assets = loadAdminAssets(deps.root);
  assets.catch((err: unknown) => deps.logger.error({ err }, 'admin client bundles could not be built'));

  router.use('/admin', securityHeaders);

  router.get('/admin/assets/*path', async (req, res) => {
    const path = ([] as string[]).concat((req.params as { path?: string | string[] }).path ?? []).join('/');
    let asset;
    try {
      asset = (await assets).get(path);
    } catch {
      return void res.status(503).type('text/plain').send('Admin assets unavailable; see the server log.');
    }
    if (!asset) return void res.status(404).type('text/plain').send('Not found');
    res.set({ 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' });
    if (req.get('if-none-match') === asset.etag) return void res.status(304).end();
    if (/\bgzip\b/.test(req.get('accept-encoding') ?? '')) return void res.set('Content-Encoding', 'gzip').send(asset.gzipped);
    res.send(asset.body);
  });

  router.use(signInRoutes({ apiKeys: deps.apiKeys, tokens: deps.tokens, maxFailures: deps.maxLoginFailures, limiters: deps.limiters }));

  router.get(['/admin', '/admin/'], async (req, res) => {
    res.redirect(303, (await sessionOf(deps.tokens, req.headers)) ? DEFAULT_ADMIN_PATH : '/admin/login');
  });

  const signedIn = requireAdminSession(deps.tokens);
  const send = (req: Request, res: Response, title: string, script: string, body: SafeHtml) => {
    const session = adminSession(res)!;
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page({ title, script, body, csrfToken: deps.tokens.csrfToken(session), nav: [...corePages, ...deps.nav()], current: req.path }));
  };
  const notFound = (res: Response) =>
    void res
      .status(404)
      .type('html')
      .send(page({ title: 'Not found', body: html`<div class="card"><h1>Not found</h1><p><a href="/admin/webhooks">Back to webhooks</a></p></div>` }));

  router.get('/admin/conversations', signedIn, (req, res) => {
    const server = originOf(deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? ''}`);
    send(req, res, 'Conversations', 'conversations', conversationsBody(server));
  });
  router.get('/admin/webhooks', signedIn, (req, res) => send(req, res, 'Webhooks', 'webhooks', webhooksBody()));
  router.get('/admin/webhooks/new', signedIn, (req, res) => send(req, res, 'Create webhook', 'webhook-form', webhookFormBody()));
  router.get('/admin/webhooks/:id/edit', signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    if (id === null) return notFound(res);
    send(req, res, 'Edit webhook', 'webhook-form', webhookFormBody(id));
  });
  router.get('/admin/webhooks/:id/deliveries', signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    if (id === null) return notFound(res);
    send(req, res, 'Delivery logs', 'deliveries', deliveriesBody(id));
  });
  router.get('/admin/webhooks/:id/deliveries/:deliveryId', signedIn, (req, res) => {
    const id = webhookId(req.params.id);
    const delivery = deliveryId(req.params.deliveryId);
    if (id === null || delivery === null) return notFound(res);
    send(req, res, 'Delivery', 'delivery', deliveryBody(id, delivery));
  });

  return router;
}
