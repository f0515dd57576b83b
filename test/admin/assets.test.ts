import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { clientEntries, loadAdminAssets, writeAdminAssets } from '../../src/admin/assets.js';
import { loadWebhooksAdminAssets, webhooksAdminBundle, webhooksClientEntries } from '../../src/webhooks/admin/assets.js';
import { writeAssets } from '../../src/ui/assets.js';
import { projectRoot } from '../../src/server.js';

/** The source folders the bundles are built from, linked into a fake root. */
const sourceDirs = ['src/admin/client', 'src/ui', 'src/webhooks/admin/client'];

/** A project root of its own whose sources are the real ones (the loaders memoise per root). */
function fakeRoot(withSources: boolean): string {
  const root = mkdtempSync(join(tmpdir(), 'admin-assets-'));
  if (withSources) {
    for (const dir of sourceDirs) {
      mkdirSync(dirname(join(root, dir)), { recursive: true });
      symlinkSync(join(projectRoot, dir), join(root, dir));
    }
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

  it('are built in memory when nothing was prebuilt: one per page, the stylesheets and shared chunks', async () => {
    const r = root(true);
    const assets = await loadAdminAssets(r);
    for (const name of clientEntries) expect(assets.get(`${name}.js`)?.type).toBe('text/javascript; charset=utf-8');
    expect(assets.get('admin.css')?.type).toBe('text/css; charset=utf-8');
    // The host's bundle holds no webhook page: those are the plugin's.
    expect(assets.has('webhooks.js')).toBe(false);
    const plugin = await loadWebhooksAdminAssets(r);
    for (const name of webhooksClientEntries) expect(plugin.get(`${name}.js`)?.type).toBe('text/javascript; charset=utf-8');
    expect([...plugin.keys()].some((k) => k.startsWith('chunks/'))).toBe(true);
    // Each stylesheet stands alone (a foreign host has no admin.css): the shared components are in both.
    for (const css of [String(assets.get('admin.css')!.body), String(plugin.get('webhooks.css')!.body)]) expect(css).toContain('.button');
    expect(String(plugin.get('webhooks.css')!.body)).toContain('.switch');
    expect(String(plugin.get('webhooks.css')!.body)).not.toContain('.topbar');
    // Pages stay light: the agent console carries socket.io-client, the rest are a few KB.
    expect(assets.get('conversations.js')!.body.length).toBeLessThan(80_000);
    expect(plugin.get('webhooks.js')!.body.length).toBeLessThan(20_000);
    expect(String(plugin.get('webhooks.js')!.body)).not.toContain('innerHTML');
  });

  it('are read from their dist folder when that build is newer than the sources', async () => {
    const r = root(true);
    expect(await writeAdminAssets(r)).toContain('conversations.js');
    expect(await writeAssets(r, webhooksAdminBundle)).toContain('webhooks.js');
    writeFileSync(join(r, 'dist', 'admin-assets', 'conversations.js'), '/* prebuilt host */');
    writeFileSync(join(r, 'dist', 'webhooks-admin-assets', 'webhooks.js'), '/* prebuilt plugin */');
    writeFileSync(join(r, 'dist', 'admin-assets', '.built'), 'now');
    writeFileSync(join(r, 'dist', 'webhooks-admin-assets', '.built'), 'now');
    expect(String((await loadAdminAssets(r)).get('conversations.js')!.body)).toBe('/* prebuilt host */');
    expect(String((await loadWebhooksAdminAssets(r)).get('webhooks.js')!.body)).toBe('/* prebuilt plugin */');
  });

  it('fail with a clear message when there are neither sources nor a build', async () => {
    await expect(loadAdminAssets(root(false))).rejects.toThrow(/admin assets missing: run "npm run build"/);
    await expect(loadWebhooksAdminAssets(root(false))).rejects.toThrow(/webhooks admin assets missing: run "npm run build"/);
  });
});
