import type { RequestHandler } from 'express';
import type { AssetMap } from './assets.js';

/**
 * Serves a bundle set under a route ending in `*path`: ETag, gzip when accepted, no-cache so a
 * new build is picked up at once (revalidation is a 304). Unknown paths are 404, never a file read.
 */
export function assetRoute(assets: Promise<AssetMap>): RequestHandler {
  return async (req, res) => {
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
  };
}
