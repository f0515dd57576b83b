// Builds what `npm start` runs: TypeScript into dist/, the widget into public/widget.js and the admin
// client into dist/admin-assets. `npm run build` always builds; `prepare` (install) and `prestart` pass
// `--if-stale`, which builds only when the inputs differ from the last build's, so a restart takes
// no compile. The last build's inputs are a SHA-256 of their bytes, kept in dist/.build-stamp.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = join(root, 'dist', '.build-stamp');
const buildInfo = join(root, 'dist', '.tsbuildinfo');
/** Everything the outputs are made from; the lockfile because the widget bundles socket.io-client. */
const inputs = ['src', 'widget', 'migrations', 'scripts/build.mjs', 'scripts/build-widget.mjs', 'scripts/build-admin.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const outputs = ['dist/src/main.js', 'public/widget.js', 'dist/admin-assets/.built'];

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => filesUnder(join(path, e.name)));
}

/** A SHA-256 of every input's path and bytes: equal fingerprints, equal builds. */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((p) => filesUnder(join(root, p))).sort()) {
    hash.update(relative(root, file).split(sep).join('/')).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function readStamp() {
  try {
    return readFileSync(stampFile, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The module's path if this install has it (a production install without dev dependencies has no TypeScript). */
function resolveTool(specifier) {
  try {
    return createRequire(join(root, 'package.json')).resolve(specifier);
  } catch {
    return null;
  }
}

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const ifStale = process.argv.includes('--if-stale');
const built = outputs.every((p) => existsSync(join(root, p)));

// An installed package ships dist/ and public/ without sources: nothing to build, nothing to touch.
if (!existsSync(join(root, 'src', 'main.ts'))) {
  if (!built) console.error('build: no sources here and no complete build in dist/; reinstall the package.');
  process.exit(0);
}

const current = fingerprint();
if (ifStale && built && readStamp() === current) process.exit(0);

const tsc = resolveTool('typescript/bin/tsc');
if (!tsc || !resolveTool('esbuild')) {
  if (built) {
    console.warn('build: sources changed but TypeScript/esbuild are not installed (dev dependencies); running the existing build in dist/.');
    process.exit(0);
  }
  console.error('build: TypeScript and esbuild are needed to build dist/; install with dev dependencies: npm install --include=dev');
  process.exit(1);
}

const started = Date.now();
console.log(!ifStale ? 'build: building…' : built ? 'build: sources changed since the last build; building…' : 'build: no build yet; building…');
// tsc's incremental info says which files it already emitted; without the emitted files it would lie.
if (!existsSync(join(root, 'dist/src/main.js'))) rmSync(buildInfo, { force: true });
rmSync(stampFile, { force: true });
run([tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', buildInfo]);
run([join(root, 'scripts/build-widget.mjs')]);
run([join(root, 'scripts/build-admin.mjs')]);
writeFileSync(stampFile, `${current}\n`);
console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
