// Bundles the browser code of the admin console (src/admin/client → dist/admin-assets) and of the
// webhooks plugin's pages (src/webhooks/admin/client → dist/webhooks-admin-assets). Runs after tsc,
// reusing the server's own build definitions so the two cannot differ. The package ships both.
import { adminBundle } from '../dist/src/admin/assets.js';
import { webhooksAdminBundle } from '../dist/src/webhooks/admin/assets.js';
import { writeAssets } from '../dist/src/ui/assets.js';

for (const bundle of [adminBundle, webhooksAdminBundle]) {
  const files = await writeAssets(process.cwd(), bundle);
  console.log(`${bundle.name} assets: ${files.length} files in ${bundle.outDir}`);
}
