// Bundles the admin console's client code (src/admin/client) into dist/admin-assets.
// Runs after tsc, reusing the server's own build definition so the two cannot differ.
import { writeAdminAssets } from '../dist/src/admin/assets.js';

const files = await writeAdminAssets(process.cwd());
console.log(`admin assets: ${files.length} files in dist/admin-assets`);
