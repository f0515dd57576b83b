import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiKeyStore } from '../auth/api-keys.js';
import { SESSION_COOKIE, type SessionTokens } from '../auth/session.js';
import { sameOrigin, sessionOf } from './auth.js';
import { NUL_MESSAGE } from '../text.js';
import { sessionCookie } from './cookies.js';
import { page } from './layout.js';
import { safeNextPath } from './next-path.js';
import { loginBody } from './pages/login.js';

export interface SignInDeps {
  apiKeys: ApiKeyStore;
  tokens: SessionTokens;
  /** Failed sign-ins one IP may make per 15 minutes. */
  maxFailures?: number;
}

function renderLogin(res: Response, status: number, next: string, error?: string): void {
  res.status(status).type('html').send(page({ title: 'Sign in', body: loginBody({ next, error }) }));
}

/**
 * GET/POST /admin/login and POST /admin/logout. Signing in trades an API key for the session
 * cookie; the key itself is never stored in the browser.
 */
export function signInRoutes(deps: SignInDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  // Keys are 128+ bits, so this is not what keeps guessing out; it keeps a script from hammering the hash lookups.
  const limiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: deps.maxFailures ?? 20,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => renderLogin(res, 429, safeNextPath(bodyField(req, 'next')), 'Too many failed sign-ins from this address. Wait a few minutes and try again.'),
  });

  router.get('/admin/login', (req, res) => {
    const next = safeNextPath(req.query.next);
    if (sessionOf(deps.tokens, req.headers)) return void res.redirect(303, next);
    renderLogin(res, 200, next);
  });

  router.post('/admin/login', form, limiter, async (req, res) => {
    const next = safeNextPath(bodyField(req, 'next'));
    // The sign-in form has no session to bind a CSRF token to; its Origin must be ours instead.
    if (!sameOrigin(req.headers)) return renderLogin(res, 403, next, 'Sign in from this server’s own sign-in page.');
    const key = bodyField(req, 'api_key')?.trim();
    if (!key) return renderLogin(res, 422, next, 'Enter an API key.');
    if (key.includes('\u0000')) return renderLogin(res, 422, next, `The API key ${NUL_MESSAGE}.`);
    if (!(await deps.apiKeys.verify(key))) return renderLogin(res, 401, next, 'That API key is not valid.');
    const { token } = deps.tokens.issue();
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, token, { maxAge: deps.tokens.ttlMs / 1000, secure: req.secure }));
    res.redirect(303, next);
  });

  router.post('/admin/logout', form, (req, res) => {
    const session = sessionOf(deps.tokens, req.headers);
    if (session && !deps.tokens.verifyCsrf(session, req.get('x-csrf-token') ?? bodyField(req, '_csrf'))) {
      return void res.status(403).type('text/plain').send('Forbidden: missing or invalid CSRF token. Reload the page and try again.');
    }
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, '', { maxAge: 0, secure: req.secure }));
    res.redirect(303, '/admin/login');
  });

  return router;
}

function bodyField(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
