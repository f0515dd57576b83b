import { loadAssets, type AssetMap, type BundleSpec } from '../../ui/assets.js';

/** The Webhooks pages' client bundles, one per page, and the stylesheet they share. */
export const webhooksClientEntries = ['webhooks', 'webhook-form', 'deliveries', 'delivery'] as const;

export const webhooksAdminBundle: BundleSpec = {
  name: 'webhooks admin',
  sourceDir: 'src/webhooks/admin/client',
  entries: [...webhooksClientEntries.map((name) => `${name}.ts`), 'webhooks.css'],
  // The chart's renderer and summary (src/webhooks/admin/*.ts) are shared with the browser too.
  imports: ['src/ui', 'src/webhooks/admin'],
  outDir: 'dist/webhooks-admin-assets',
};

export const loadWebhooksAdminAssets = (root: string): Promise<AssetMap> => loadAssets(root, webhooksAdminBundle);
