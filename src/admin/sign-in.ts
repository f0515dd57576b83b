import express, { type Request, type Response, type Router } from 'express';
import type { ApiKeyStore } from '../auth/api-keys.js';
import { AccountGuard } from '../auth/account-guard.js';
import type { AgentStore } from '../auth/agents.js';
import { CredentialGuard, type Attempt } from '../auth/credential-guard.js';
import type { LimiterFactory } from '../redis/limiters.js';
import { SESSION_COOKIE, type SessionSubject, type SessionTokens } from '../auth/session.js';
import { normalizeEmail } from '../auth/agents.js';
import { PASSWORD_MAX } from '../auth/passwords.js';
import { sameOrigin, sessionOf } from './auth.js';
import { NUL_MESSAGE } from '../text.js';
import { sessionCookie } from './cookies.js';
import { page } from './layout.js';
import { safeNextPath } from './next-path.js';
import { loginBody } from './pages/login.js';

export interface SignInDeps {
  apiKeys: ApiKeyStore;
  agents: AgentStore;
  tokens: SessionTokens;
  /**
   * Failed sign-ins per 15 minutes from one address (blind guesses), at one key or one account from
   * one address; an account takes 5 times that from all addresses together (see AccountGuard).
   */
  maxFailures?: number;
  limiters?: LimiterFactory;
}

function renderLogin(res: Response, status: number, next: string, error?: string, email?: string): void {
  res.status(status).type('html').send(page({ title: 'Sign in', body: loginBody({ next, error, email }) }));
}

const TOO_MANY = 'Too many failed sign-ins. Wait a few minutes and try again.';

/**
 * GET/POST /admin/login and POST /admin/logout. Signing in trades an agent's email and password,
 * or an API key (as admin), for the session cookie; neither is ever stored in the browser.
 */
export function signInRoutes(deps: SignInDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  // Keys are 128+ bits, so this is not what keeps guessing out; it keeps a script from hammering
  // the hash lookups, without letting it lock out an admin who has the key (see CredentialGuard).
  const limit = { maxFailures: deps.maxFailures ?? 20, windowSeconds: 15 * 60 };
  const guard = new CredentialGuard('sign-in', limit, (prefix) => deps.apiKeys.hasPrefix(prefix), deps.limiters);
  const accounts = new AccountGuard(limit, (email) => deps.agents.emailExists(email), deps.limiters);
  const refused = (res: Response, attempt: Attempt, next: string, email?: string) => {
    res.set('Retry-After', String(attempt.retryAfterSeconds));
    renderLogin(res, 429, next, TOO_MANY, email);
  };
  const signIn = (req: Request, res: Response, next: string, subject?: SessionSubject) => {
    const { token } = deps.tokens.issue(subject);
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, token, { maxAge: deps.tokens.ttlMs / 1000, secure: req.secure }));
    res.redirect(303, next);
  };

  router.get('/admin/login', async (req, res) => {
    const next = safeNextPath(req.query.next);
    if (await sessionOf(deps.tokens, req.headers)) return void res.redirect(303, next);
    renderLogin(res, 200, next);
  });

  router.post('/admin/login', form, async (req, res) => {
    const next = safeNextPath(bodyField(req, 'next'));
    // The sign-in form has no session to bind a CSRF token to; its Origin must be ours instead.
    if (!sameOrigin(req.headers)) return renderLogin(res, 403, next, 'Sign in from this server’s own sign-in page.');
    const key = bodyField(req, 'api_key')?.trim();
    const email = bodyField(req, 'email')?.trim().slice(0, 255) ?? '';
    const password = bodyField(req, 'password') ?? '';
    if (key?.includes('\u0000')) return renderLogin(res, 422, next, `The API key ${NUL_MESSAGE}.`);
    if (email.includes('\u0000') || password.includes('\u0000')) return renderLogin(res, 422, next, `The email and password ${NUL_MESSAGE}.`);
    if (key) {
      const attempt = await guard.admit(req.ip ?? 'unknown', key);
      if (attempt.retryAfterSeconds !== null) return refused(res, attempt, next);
      if (!(await deps.apiKeys.verify(key))) {
        await attempt.failed();
        return renderLogin(res, 401, next, 'That API key is not valid.');
      }
      await attempt.succeeded();
      return signIn(req, res, next);
    }
    if (!email || !password) return renderLogin(res, 422, next, 'Enter your email and password, or an API key.', email);
    if (password.length > PASSWORD_MAX) return renderLogin(res, 401, next, 'That email and password do not match an account.', email);
    const attempt = await accounts.admit(req.ip ?? 'unknown', normalizeEmail(email));
    if (attempt.retryAfterSeconds !== null) return refused(res, attempt, next, email);
    const agent = await deps.agents.authenticate(email, password);
    if (!agent) {
      await attempt.failed();
      return renderLogin(res, 401, next, 'That email and password do not match an account.', email);
    }
    await attempt.succeeded();
    signIn(req, res, next, { role: agent.role, agentId: agent.id });
  });

  router.post('/admin/logout', form, async (req, res) => {
    const session = await sessionOf(deps.tokens, req.headers);
    if (session && !deps.tokens.verifyCsrf(session, req.get('x-csrf-token') ?? bodyField(req, '_csrf'))) {
      return void res.status(403).type('text/plain').send('Forbidden: missing or invalid CSRF token. Reload the page and try again.');
    }
    // Clearing the cookie is not enough: a copy of it must stop working too, on every instance.
    if (session) await deps.tokens.revoke(session);
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, '', { maxAge: 0, secure: req.secure }));
    res.redirect(303, '/admin/login');
  });

  return router;
}

function bodyField(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
