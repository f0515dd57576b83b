import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientEntries, loadAdminAssets, writeAdminAssets } from '../../src/admin/assets.js';
import { projectRoot } from '../../src/server.js';

/** A project root of its own whose src/admin/client is the real one (loadAdminAssets memoises per root). */
function fakeRoot(withSources: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'admin-assets-'));
  if (withSources) {
    mkdirSync(join(root, 'src', 'admin'), { recursive: true });
    symlinkSync(join(projectRoot, 'src', 'admin', 'client'), join(root, 'src', 'admin', 'client'));
  }
  return root;
}

describe('admin client bundles', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const root = (withSources: boolean) => {
    const r = fakeRoot(withSources);
    roots.push(r);
    return r;
  };

  it('are built in memory when nothing was prebuilt: one per page, the stylesheet and shared chunks', async () => {
    const assets = await loadAdminAssets(root(true));
    for (const name of clientEntries) expect(assets.get(`${name}.js`)?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.get('admin.css')?.type).toBe('text/css; charset=utf-8');
    expect([...assets.keys()].some((k) => k.startsWith('chunks/'))).toBe(true);
    // Pages stay light: the agent console carries socket.io-client, the rest are a few KB.
    const sizes = Object.fromEntries([...assets].map(([k, v]) => [k, v.body.length]));
    expect(sizes['conversations.js']).toBeLessThan(80_000);
    expect(sizes['webhooks.js']).toBeLessThan(20_000);
    expect(String(assets.get('webhooks.js')!.body)).not.toContain('innerHTML');
  });

  it('are read from dist/admin-assets when that build is newer than the sources', async () => {
    const r = root(true);
    const files = await writeAdminAssets(r);
    expect(files).toContain('webhooks.js');
    writeFileSync(join(r, 'dist', 'admin-assets', 'webhooks.js'), '/* prebuilt */');
    writeFileSync(join(r, 'dist', 'admin-assets', '.built'), 'now');
    expect(String((await loadAdminAssets(r)).get('webhooks.js')!.body)).toBe('/* prebuilt */');
  });

  it('fail with a clear message when there are neither sources nor a build', async () => {
    await expect(loadAdminAssets(root(false))).rejects.toThrow(/admin assets missing: run "npm run build"/);
  });
});
