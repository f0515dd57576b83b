// Bundles the visitor widget (widget/src/index.ts, with socket.io-client) into one minified file.
// `node scripts/build-widget.mjs` writes public/widget.js and prints its sizes; the server imports
// `bundleWidget` to build it in memory when that file is missing.
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const defaultRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Returns the minified bundle as a Buffer. */
export async function bundleWidget(root = defaultRoot) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'widget/src/index.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && existsSync(join(defaultRoot, 'widget/src/index.ts'))) {
  const code = await bundleWidget();
  mkdirSync(join(defaultRoot, 'public'), { recursive: true });
  writeFileSync(join(defaultRoot, 'public/widget.js'), code);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`public/widget.js: ${kb(code.length)} minified, ${kb(gzipSync(code, { level: 9 }).length)} gzipped`);
}
