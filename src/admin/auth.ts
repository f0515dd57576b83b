import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiKeyStore } from '../auth/api-keys.js';
import type { AgentStore } from '../auth/agents.js';
import type { CredentialGuard } from '../auth/credential-guard.js';
import { bearerToken, checkBearer, UNAUTHORIZED_BODY as unauthorized } from '../auth/require-api-key.js';
import { SESSION_COOKIE, type AdminSession, type SessionTokens } from '../auth/session.js';
import { readCookie } from './cookies.js';
import { html } from '../ui/html.js';
import { page } from './layout.js';

/** The header the admin pages send their CSRF token in (form posts use the `_csrf` field). */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The valid admin session a request's cookie carries, or null (also once signed out, on any instance). */
export function sessionOf(tokens: SessionTokens, headers: IncomingHttpHeaders): Promise<AdminSession | null> {
  return tokens.check(readCookie(headers.cookie, SESSION_COOKIE));
}

/** The session the auth middleware found, for the page that renders the CSRF token. */
export function adminSession(res: Response): AdminSession | undefined {
  return res.locals.adminSession as AdminSession | undefined;
}

function csrfTokenOf(req: Request): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  return req.get(CSRF_HEADER) ?? (body && typeof body === 'object' ? body._csrf : undefined);
}

/**
 * Whether a browser request comes from our own pages: its Origin (or, lacking one, Referer) names
 * this host. Requests without either are not from a browser form and pass; SameSite does the rest.
 */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const source = headers.origin ?? headers.referer;
  if (source === undefined) return true;
  let host: string;
  try {
    host = new URL(source).host;
  } catch {
    return false;
  }
  const forwarded = typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'].split(',')[0]?.trim() : undefined;
  return host === headers.host || (forwarded !== undefined && host === forwarded);
}

const badCsrf = { success: false, data: null, message: 'Forbidden: missing or invalid CSRF token' };
const notAdmin = { success: false, data: null, message: 'Forbidden: only an admin may do this; agents answer conversations' };

/** The page an agent gets for an admin-only page: what happened and the way back. */
export function forbiddenPage(): string {
  return page({
    title: 'Admins only',
    body: html`<div class="login"><div class="card login-card" role="alert">
  <h1>Admins only</h1>
  <p>This page is for admins. Your account answers conversations.</p>
  <p><a class="button primary wide" href="/admin/conversations">Go to Conversations</a></p>
</div></div>`,
  });
}

/**
 * API middleware: passes a valid `Authorization: Bearer <key>` (key guessing slowed down by
 * `guard`: 429 with Retry-After), or an admin session cookie, which on POST/PUT/PATCH/DELETE must
 * come with the session's CSRF token (a cookie alone could have been sent by another site; a
 * bearer key cannot). 401 or 403 otherwise; 403 too for an agent's session, which is for
 * conversations only (SPEC §9 roles).
 */
export function requireApiKeyOrSession(keys: ApiKeyStore, tokens: SessionTokens, guard: CredentialGuard): RequestHandler {
  return async (req, res, next) => {
    try {
      const bearer = bearerToken(req.headers.authorization);
      if (bearer !== undefined) {
        if (await checkBearer(keys, guard, bearer, req, res)) next();
        return;
      }
      const session = await sessionOf(tokens, req.headers);
      if (!session) return void res.status(401).json(unauthorized);
      if (session.role !== 'admin') return void res.status(403).json(notAdmin);
      if (!SAFE_METHODS.has(req.method) && !tokens.verifyCsrf(session, csrfTokenOf(req))) {
        return void res.status(403).json(badCsrf);
      }
      res.locals.adminSession = session;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The sign-in page, asked to come back to `path` afterwards. */
export function loginPath(path: string): string {
  return `/admin/login?next=${encodeURIComponent(path)}`;
}

/**
 * Page middleware for admins only (webhooks, agents; the plugin host's `auth.requireAdmin`): an
 * agent's session gets a 403 page. See requireSignedIn for the rest.
 */
export function requireAdminSession(tokens: SessionTokens): RequestHandler {
  return requireSignedIn(tokens, 'admin');
}

/**
 * Page middleware: without a session, GETs are redirected to the sign-in page (and come back after);
 * other methods get 401. With `role: 'admin'`, an agent's session gets 403. Writes need the CSRF
 * token in `X-CSRF-Token` or a `_csrf` form field.
 */
export function requireSignedIn(tokens: SessionTokens, role?: 'admin'): RequestHandler {
  return async (req, res, next) => {
    const session = await sessionOf(tokens, req.headers);
    if (!session) {
      if (SAFE_METHODS.has(req.method)) return void res.redirect(303, loginPath(req.originalUrl));
      return void res.status(401).type('text/plain').send('Sign in first.');
    }
    if (role === 'admin' && session.role !== 'admin') {
      res.status(403).set('Cache-Control', 'no-store');
      if (SAFE_METHODS.has(req.method)) return void res.type('html').send(forbiddenPage());
      return void res.type('text/plain').send('Forbidden: only an admin may do this.');
    }
    if (!SAFE_METHODS.has(req.method) && !tokens.verifyCsrf(session, csrfTokenOf(req))) {
      return void res.status(403).type('text/plain').send('Forbidden: missing or invalid CSRF token. Reload the page and try again.');
    }
    res.locals.adminSession = session;
    next();
  };
}

/** What the /agent namespace's handshake check receives (a subset of socket.io's Handshake). */
export interface AgentHandshake {
  headers: IncomingHttpHeaders;
  auth: Record<string, unknown>;
}

/**
 * The /agent handshake check for the admin console: a valid session cookie, the session's CSRF
 * token in `auth.csrf` and, when the browser names one, our own Origin. Resolves to the session
 * (who is signing in: an agent answers as themselves) or null. The token stops another
 * site from opening a socket that rides on the cookie (cross-site WebSocket hijacking).
 */
export function agentSessionVerifier(tokens: SessionTokens): (handshake: AgentHandshake) => Promise<AdminSession | null> {
  return async (handshake) => {
    const session = await sessionOf(tokens, handshake.headers);
    if (!session || !sameOrigin({ ...handshake.headers, referer: undefined })) return null;
    return tokens.verifyCsrf(session, handshake.auth?.csrf) ? session : null;
  };
}

/**
 * The /agent handshake check that also says who signed in: an agent account answers under its own
 * name; an API-key session is anonymous (`agentId` null), like a machine key.
 */
export function agentIdentityVerifier(tokens: SessionTokens, agents: AgentStore) {
  const verify = agentSessionVerifier(tokens);
  return async (handshake: AgentHandshake): Promise<{ agentId: number | null; name: string | null } | null> => {
    const session = await verify(handshake);
    if (!session) return null;
    if (session.agentId === null) return { agentId: null, name: null };
    const agent = await agents.findById(session.agentId);
    return agent ? { agentId: agent.id, name: agent.name } : null;
  };
}
