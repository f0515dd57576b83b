import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * One set of browser bundles: the host's admin console has one, the webhooks plugin another.
 * Paths are relative to the package root (the folder holding plugin.json).
 */
export interface BundleSpec {
  /** For messages: "admin", "webhooks admin". */
  name: string;
  /** Where the entries' sources live, e.g. `src/admin/client`. */
  sourceDir: string;
  /** Entry files in `sourceDir`: one `.ts` per page, and stylesheets. */
  entries: readonly string[];
  /** Other source folders the entries import, so editing them also makes a build stale. */
  imports?: readonly string[];
  /** Where `npm run build` writes the bundles (dist/ is not committed; it is what the package ships). */
  outDir: string;
}

export interface Asset {
  body: Buffer;
  /** The same bytes gzipped once at load, for clients that accept it. */
  gzipped: Buffer;
  type: string;
  etag: string;
}
export type AssetMap = ReadonlyMap<string, Asset>;

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
 * esbuild is imported only here, so an installed package, which ships prebuilt bundles, needs none.
 */
export async function buildAssets(root: string, spec: BundleSpec): Promise<Map<string, Buffer>> {
  const { build } = await import('esbuild');
  const src = join(root, spec.sourceDir);
  const outdir = join(root, '.assets-virtual');
  const result = await build({
    absWorkingDir: root,
    entryPoints: spec.entries.map((entry) => join(src, entry)),
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

/** Builds the bundles into `dir` (default `spec.outDir`) for `npm run build`. */
export async function writeAssets(root: string, spec: BundleSpec, dir = join(root, spec.outDir)): Promise<string[]> {
  const files = await buildAssets(root, spec);
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

function newestMtime(dirs: string[]): number {
  return Math.max(0, ...dirs.filter((d) => existsSync(d)).flatMap(walk).map((f) => statSync(f).mtimeMs));
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
 * The bundles to serve: the prebuilt ones when they are newer than the sources (or when there are
 * no sources, as in an installed package), otherwise built now in memory, so tests and `tsx` runs
 * work without a prior build and never serve stale code. Memoised per root and output folder.
 */
export function loadAssets(root: string, spec: BundleSpec): Promise<AssetMap> {
  const key = join(root, spec.outDir);
  let assets = loaded.get(key);
  if (!assets) {
    assets = (async () => {
      const src = join(root, spec.sourceDir);
      const built = join(root, spec.outDir);
      const stamp = join(built, STAMP);
      const watched = [src, ...(spec.imports ?? []).map((d) => join(root, d))];
      const fresh = existsSync(stamp) && (!existsSync(src) || statSync(stamp).mtimeMs >= newestMtime(watched));
      if (!fresh && !existsSync(src)) throw new Error(`${spec.name} assets missing: run "npm run build" (looked in ${built})`);
      const files = fresh ? readBuilt(built) : await buildAssets(root, spec);
      return new Map([...files].map(([path, body]) => [path, toAsset(path, body)]));
    })();
    loaded.set(key, assets);
    // A failed build is retried on the next load rather than cached forever.
    assets.catch(() => loaded.delete(key));
  }
  return assets;
}
