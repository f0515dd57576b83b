// Bundles the visitor widget (widget/src/index.ts) into one minified file, public/widget.js.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';

const entry = 'widget/src/index.ts';
if (existsSync(entry)) {
  mkdirSync('public', { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019'],
    outfile: 'public/widget.js',
    legalComments: 'none',
  });
}
