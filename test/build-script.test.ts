// scripts/build.mjs where it must not build: an installed package (no sources) and an install without dev dependencies.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/server.js';

/** A folder with scripts/build.mjs and the given files, outside this checkout (so no node_modules above it). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'livechat-build-'));
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(projectRoot, 'scripts/build.mjs'), join(dir, 'scripts/build.mjs'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((p) => `${p} ${statSync(join(dir, p)).mtimeMs}`);
}

const build = (dir: string) => spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: dir, encoding: 'utf8' });
const builtFiles = { 'dist/src/main.js': '', 'public/widget.js': '', 'dist/admin-assets/.built': '' };
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('scripts/build.mjs --if-stale', () => {
  it('leaves an installed package (dist/ present, no sources) exactly as it is', () => {
    const dir = project({ 'package.json': '{}', ...builtFiles });
    dirs.push(dir);
    const before = listing(dir);
    const result = build(dir);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
    expect(listing(dir)).toEqual(before);
  });

  it('keeps the existing build, with a warning, when sources changed but TypeScript is not installed', () => {
    const dir = project({ 'package.json': '{}', 'src/main.ts': 'export {};\n', ...builtFiles });
    dirs.push(dir);
    const before = listing(dir);
    const result = build(dir);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/TypeScript\/esbuild are not installed/);
    expect(listing(dir)).toEqual(before);
  });

  it('fails with the command to run when there is neither a build nor TypeScript', () => {
    const dir = project({ 'package.json': '{}', 'src/main.ts': 'export {};\n' });
    dirs.push(dir);
    const result = build(dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/npm install --include=dev/);
  });
});
