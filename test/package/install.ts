import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/server.js';

const run = promisify(execFile);
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });

/** What a build reads: copied into a staging folder so the checkout's own dist/ is never rewritten under other tests. */
const buildInputs = ['package.json', 'package-lock.json', 'plugin.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'src', 'migrations', 'widget', 'scripts'];

export interface PackResult {
  tarball: string;
  size: number;
  files: string[];
}

/**
 * `npm run build` then `npm pack` of this project, done in `stageDir` (a copy of the sources with
 * this checkout's node_modules linked in), the tarball written to `outDir`. Pack skips the
 * lifecycle scripts: the build just made is what gets packed.
 */
export async function buildAndPack(stageDir: string, outDir: string): Promise<PackResult> {
  for (const input of buildInputs) cpSync(join(projectRoot, input), join(stageDir, input), { recursive: true });
  symlinkSync(join(projectRoot, 'node_modules'), join(stageDir, 'node_modules'), 'dir');
  await npm(['run', 'build', '--silent'], stageDir);
  const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], stageDir);
  const [info] = JSON.parse(stdout) as { filename: string; size: number; files: { path: string }[] }[];
  return { tarball: join(outDir, basename(info!.filename)), size: info!.size, files: info!.files.map((f) => f.path) };
}

type LockEntry = Record<string, unknown> & { dev?: boolean };

/**
 * Sets up the foreign host's folder: the example's package.json, the tarball beside it, and a
 * lockfile pinning every dependency to the version this project installed (its non-dev entries
 * are exactly the package's dependency tree). With a lockfile npm needs only the tarballs, which
 * the project's own install left in the npm cache; without one it would ask the registry for full
 * package documents, which that install never fetched, and `--offline` fails with ENOTCACHED.
 */
export function prepareHost(hostDir: string, exampleDir: string, tarball: string): void {
  copyFileSync(join(exampleDir, 'server.mjs'), join(hostDir, 'server.mjs'));
  const manifest = JSON.parse(readFileSync(join(exampleDir, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };
  const local = `file:${basename(tarball)}`;
  copyFileSync(tarball, join(hostDir, basename(tarball)));
  manifest.dependencies['livechat-webhooks'] = local;
  writeFileSync(join(hostDir, 'package.json'), JSON.stringify(manifest, null, 2));

  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const ours = lock.packages[''] as { version: string; dependencies: Record<string, string>; engines?: unknown };
  const packages: Record<string, LockEntry> = { '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies } };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev) packages[path] = entry;
  for (const dep of Object.keys(manifest.dependencies)) {
    if (dep !== 'livechat-webhooks' && !packages[`node_modules/${dep}`]) throw new Error(`${dep} is not among this project's dependencies`);
  }
  packages['node_modules/livechat-webhooks'] = {
    version: ours.version,
    resolved: local,
    integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
    dependencies: ours.dependencies,
    engines: ours.engines,
  };
  writeFileSync(join(hostDir, 'package-lock.json'), JSON.stringify({ name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** `npm install --offline` of the tarball in the host's folder; resolves to the seconds it took. */
export async function installOffline(hostDir: string, tarball: string): Promise<number> {
  const started = Date.now();
  await npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', `./${basename(tarball)}`], hostDir);
  return (Date.now() - started) / 1000;
}
