import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import { demoPage } from './demo-page.js';

export interface WidgetRoutesOptions {
  /** Project root: holds public/widget.js, or widget/ and scripts/ to build it from. */
  root: string;
  /** The server's public base URL (PUBLIC_URL); otherwise the demo derives it from the request. */
  publicUrl?: string;
}

interface Bundle {
  code: Buffer;
  gzipped: Buffer;
  etag: string;
}

/**
 * `GET /widget.js`, the embeddable widget (any origin may load it), and `GET /demo`, a page that
 * embeds it. The bundle is read from public/widget.js, or built in memory once when that file is
 * missing or older than the widget's sources (a checkout that has not run `npm run build` since).
 */
export function widgetRoutes(options: WidgetRoutesOptions): Router {
  const router = Router();
  let bundle: Promise<Bundle> | null = null;
  const loadOnce = () =>
    (bundle ??= loadBundle(options.root).catch((err: unknown) => {
      bundle = null; // Let the next request try again.
      throw err;
    }));

  router.get('/widget.js', async (req, res, next) => {
    let b: Bundle;
    try {
      b = await loadOnce();
    } catch (err) {
      return next(err);
    }
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      // Unversioned URL embedded on other sites: cache for a day, then revalidate by ETag.
      'Cache-Control': 'public, max-age=86400, stale-while-revalidate=604800',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
      ETag: gzip ? `"${b.etag}-gz"` : `"${b.etag}"`,
    });
    if (req.fresh) return void res.status(304).end();
    if (gzip) res.set('Content-Encoding', 'gzip');
    res.send(gzip ? b.gzipped : b.code);
  });

  router.get('/demo', (req, res) => {
    const server = originOf(options.publicUrl ?? `${req.protocol}://${req.get('host') ?? ''}`);
    const page = demoPage({ server, title: 'Acme Support', color: '#0f766e' });
    const connectSources = server ? `'self' ${server} ${server.replace(/^http/, 'ws')}` : "'self'";
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      // Strict on purpose: the widget needs no inline script or style to run.
      'Content-Security-Policy': [
        "default-src 'none'",
        "script-src 'self'",
        `connect-src ${connectSources}`,
        `style-src '${page.styleHash}'`,
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(page.html);
  });

  return router;
}

/** The normalised origin, or '' for anything unparseable (a forged Host header must not reach HTML or CSP). */
export function originOf(url: string): string {
  try {
    const { protocol, origin } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? origin : '';
  } catch {
    return '';
  }
}

async function loadBundle(root: string): Promise<Bundle> {
  const file = join(root, 'public/widget.js');
  const code = isCurrent(file, join(root, 'widget/src')) ? readFileSync(file) : await buildInMemory(root);
  return {
    code,
    gzipped: gzipSync(code, { level: 9 }),
    etag: createHash('sha256').update(code).digest('base64url').slice(0, 27),
  };
}

/** The built file exists and no widget source is newer (a deployment without sources counts as current). */
function isCurrent(bundle: string, sources: string): boolean {
  if (!existsSync(bundle)) return false;
  if (!existsSync(sources)) return true;
  const built = statSync(bundle).mtimeMs;
  return readdirSync(sources).every((name) => statSync(join(sources, name)).mtimeMs <= built);
}

/** esbuild is a build-time dependency, so it is imported only when actually needed. */
async function buildInMemory(root: string): Promise<Buffer> {
  const script = pathToFileURL(join(root, 'scripts/build-widget.mjs')).href;
  const { bundleWidget } = (await import(script)) as { bundleWidget(root: string): Promise<Buffer> };
  return bundleWidget(root);
}
