import type { Request, Response } from 'express';
import type { SessionTokens } from '../auth/session.js';
import type { AdminHost } from '../plugins/host.js';
import { raw } from '../ui/html.js';
import { adminSession } from './auth.js';
import { page, type AdminNavItem } from './layout.js';

/** The session `requireAdmin` found; a plugin page rendered without it is a wiring bug. */
function sessionOf(res: Response) {
  const session = adminSession(res);
  if (!session) throw new Error('admin page rendered without auth.requireAdmin in front of it');
  return session;
}

/**
 * This console as a plugin host's admin: pages under /admin, wrapped in its top bar and navigation
 * (its own pages, then what plugins declared), the session's CSRF token in `<meta name="csrf-token">`.
 */
export function adminHost(tokens: SessionTokens, nav: () => readonly AdminNavItem[]): AdminHost {
  const csrfToken = (_req: Request, res: Response) => tokens.csrfToken(sessionOf(res));
  return {
    basePath: '/admin',
    csrfToken,
    layout: (content, req, res) =>
      page({
        title: content.title,
        // The plugin built its body with every value escaped (its pages use the same `html` tag).
        body: raw(content.body),
        scripts: content.scripts,
        styles: content.styles,
        csrfToken: csrfToken(req, res),
        nav: nav(),
        current: req.baseUrl + req.path,
      }),
  };
}
