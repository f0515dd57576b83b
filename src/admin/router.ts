import express, { type Request, type Response, type Router } from 'express';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { AgentStore } from '../auth/agents.js';
import { agentsRoutes } from './agents-routes.js';
import type { SessionTokens } from '../auth/session.js';
import type { Logger } from '../logger.js';
import { loadAdminAssets } from './assets.js';
import { adminSession, requireAdminSession, requireSignedIn, sessionOf } from './auth.js';
import type { SafeHtml } from '../ui/html.js';
import { assetRoute } from '../ui/asset-route.js';
import { page, type AdminNavItem } from './layout.js';
import { DEFAULT_ADMIN_PATH } from './next-path.js';
import { conversationsBody } from './pages/conversations.js';
import { securityHeaders } from './security-headers.js';
import { signInRoutes } from './sign-in.js';
import type { LimiterFactory } from '../redis/limiters.js';
import { originOf } from '../widget-host/routes.js';

export interface AdminRouterDeps {
  /** The project root, where src/admin/client or dist/admin-assets live. */
  root: string;
  apiKeys: ApiKeyStore;
  agents: AgentStore;
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
/** Pages only admins see (plugin pages are behind the host's requireAdmin, so admins' too). */
export const adminPages: readonly AdminNavItem[] = [{ path: '/admin/agents', title: 'Agents', section: 'Team' }];

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

  router.use(signInRoutes({ apiKeys: deps.apiKeys, agents: deps.agents, tokens: deps.tokens, maxFailures: deps.maxLoginFailures, limiters: deps.limiters }));

  router.get(['/admin', '/admin/'], async (req, res) => {
    res.redirect(303, (await sessionOf(deps.tokens, req.headers)) ? DEFAULT_ADMIN_PATH : '/admin/login');
  });

  const signedIn = requireAdminSession(deps.tokens);
  const send = (req: Request, res: Response, title: string, script: string | undefined, body: SafeHtml, status = 200) => {
    const session = adminSession(res)!;
    // An agent sees only what it may open (SPEC §9 roles).
    const nav = session.role === 'admin' ? [...corePages, ...deps.nav(), ...adminPages] : corePages;
    res
      .status(status)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(page({ title, script, body, csrfToken: deps.tokens.csrfToken(session), nav, current: req.path }));
  };
  router.get('/admin/conversations', requireSignedIn(deps.tokens), async (req, res) => {
    const session = adminSession(res)!;
    const agent = session.agentId === null ? null : await deps.agents.findById(session.agentId);
    const server = originOf(deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? ''}`);
    send(req, res, 'Conversations', 'conversations', conversationsBody({ agentId: session.agentId, agentName: agent?.name ?? null }, server));
  });
  router.use(agentsRoutes({ agents: deps.agents, tokens: deps.tokens, send }));
  // The plugins mount their own pages (Webhooks: src/webhooks/admin) through the host API.

  return router;
}
