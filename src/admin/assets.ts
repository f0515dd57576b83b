import { join } from 'node:path';
import { loadAssets, writeAssets, type AssetMap, type BundleSpec } from '../ui/assets.js';

/** The console's own client bundles, one per page, built from `src/admin/client/<name>.ts`. */
export const clientEntries = ['conversations'] as const;

export const adminBundle: BundleSpec = {
  name: 'admin',
  sourceDir: 'src/admin/client',
  entries: [...clientEntries.map((name) => `${name}.ts`), 'admin.css'],
  imports: ['src/ui'],
  outDir: 'dist/admin-assets',
};

/** Where `npm run build` writes the console's bundles. */
export const builtDir = (root: string) => join(root, adminBundle.outDir);

export const loadAdminAssets = (root: string): Promise<AssetMap> => loadAssets(root, adminBundle);
export const writeAdminAssets = (root: string, dir?: string): Promise<string[]> => writeAssets(root, adminBundle, dir);
