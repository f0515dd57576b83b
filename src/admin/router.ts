import express, { type Request, type Response, type Router } from 'express';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { SessionTokens } from '../auth/session.js';
import type { Logger } from '../logger.js';
import { loadAdminAssets } from './assets.js';
import { adminSession, requireAdminSession, sessionOf } from './auth.js';
import type { SafeHtml } from '../ui/html.js';
import { assetRoute } from '../ui/asset-route.js';
import { page, type AdminNavItem } from './layout.js';
import { DEFAULT_ADMIN_PATH } from './next-path.js';
import { conversationsBody } from './pages/conversations.js';
import { securityHeaders } from './security-headers.js';
import { signInRoutes } from './sign-in.js';
import type { LimiterFactory } from '../redis/limiters.js';
import { originOf } from '../widget/routes.js';

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

/**
 * The admin console: sign-in, the page shells and their client bundles under /admin/assets.
 * Pages are thin: server-rendered, escaped HTML whose scripts call the REST API and /agent socket.
 */
export function createAdminRouter(deps: AdminRouterDeps): Router {
  const router = express.Router();
  const assets = loadAdminAssets(deps.root);
  assets.catch((err: unknown) => deps.logger.error({ err }, 'admin client bundles could not be built'));

  router.use('/admin', securityHeaders);

  router.get('/admin/assets/*path', assetRoute(assets));

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
  router.get('/admin/conversations', signedIn, (req, res) => {
    const server = originOf(deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? ''}`);
    send(req, res, 'Conversations', 'conversations', conversationsBody(server));
  });
  // The plugins mount their own pages (Webhooks: src/webhooks/admin) through the host API.

  return router;
}
