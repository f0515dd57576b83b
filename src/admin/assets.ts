import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The admin pages' client bundles, one per page, built from `src/admin/client/<name>.ts`. */
export const clientEntries = ['webhooks', 'webhook-form', 'deliveries', 'delivery', 'conversations'] as const;

export interface Asset {
  body: Buffer;
  /** The same bytes gzipped once at load, for clients that accept it. */
  gzipped: Buffer;
  type: string;
  etag: string;
}
export type AssetMap = ReadonlyMap<string, Asset>;

const sourceDir = (root: string) => join(root, 'src', 'admin', 'client');
/** Where `npm run build` writes the bundles (dist/ is not committed). */
export const builtDir = (root: string) => join(root, 'dist', 'admin-assets');
const STAMP = '.built';

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function toAsset(path: string, body: Buffer): Asset {
  return { body, gzipped: gzipSync(body, { level: 9 }), type: types[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * Bundles the client code with esbuild, in memory: ES modules with shared chunks, minified.
 * esbuild is imported only here, so a production install that ships prebuilt bundles needs none.
 */
export async function buildAdminAssets(root: string): Promise<Map<string, Buffer>> {
  const { build } = await import('esbuild');
  const src = sourceDir(root);
  const outdir = join(root, '.admin-assets-virtual');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [...clientEntries.map((name) => join(src, `${name}.ts`)), join(src, 'admin.css')],
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['es2020'],
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [relative(outdir, file.path).split(sep).join('/'), Buffer.from(file.contents)]));
}

/** Builds the bundles into `dir` (default dist/admin-assets) for `npm run build`. */
export async function writeAdminAssets(root: string, dir = builtDir(root)): Promise<string[]> {
  const files = await buildAdminAssets(root);
  rmSync(dir, { recursive: true, force: true });
  for (const [path, body] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  writeFileSync(join(dir, STAMP), new Date().toISOString() + '\n');
  return [...files.keys()];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function newestMtime(dir: string): number {
  return Math.max(0, ...walk(dir).map((f) => statSync(f).mtimeMs));
}

function readBuilt(dir: string): Map<string, Buffer> {
  return new Map(
    walk(dir)
      .filter((f) => !f.endsWith(STAMP))
      .map((f) => [relative(dir, f).split(sep).join('/'), readFileSync(f)]),
  );
}

const loaded = new Map<string, Promise<AssetMap>>();

/**
 * The bundles to serve: the prebuilt ones when they are newer than the client sources, otherwise
 * built now in memory, so tests and `tsx` runs work without a prior build and never serve stale code.
 * Memoised per project root.
 */
export function loadAdminAssets(root: string): Promise<AssetMap> {
  let assets = loaded.get(root);
  if (!assets) {
    assets = (async () => {
      const src = sourceDir(root);
      const built = builtDir(root);
      const stamp = join(built, STAMP);
      const fresh = existsSync(stamp) && (!existsSync(src) || statSync(stamp).mtimeMs >= newestMtime(src));
      if (!fresh && !existsSync(src)) throw new Error(`admin assets missing: run "npm run build" (looked in ${built})`);
      const files = fresh ? readBuilt(built) : await buildAdminAssets(root);
      return new Map([...files].map(([path, body]) => [path, toAsset(path, body)]));
    })();
    loaded.set(root, assets);
    // A failed build is retried on the next load rather than cached forever.
    assets.catch(() => loaded.delete(root));
  }
  return assets;
}
