import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { chatEvents } from '../events.js';
import type { PluginHost, PluginInstance, PluginModule } from './host.js';

export const manifestSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  version: z.string().min(1),
  description: z.string().optional(),
  entry: z.string().min(1),
  hooks: z.array(z.enum(chatEvents)),
  /** The plugin's admin page; `path` is relative to the host's admin base path (`/webhooks` → `/admin/webhooks`). */
  adminPage: z.object({ path: z.string().startsWith('/'), title: z.string(), section: z.string() }).optional(),
  migrations: z.array(z.string()).default([]),
});
export type PluginManifest = z.infer<typeof manifestSchema>;

/** Reads and validates a plugin.json. */
export function readManifest(path: string): PluginManifest {
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A page path under the host's admin base: `('/admin', '/webhooks')` → `/admin/webhooks`. */
export function adminPath(basePath: string, path: string): string {
  return `${basePath.replace(/\/+$/, '')}${path}`;
}

/**
 * Checks that the module provides what its manifest promises, adds its admin page and calls
 * `register(host)` with `host.logger` bound to the plugin's id. The host runs `module.migrations` before this.
 */
export async function registerPlugin(manifest: PluginManifest, module: PluginModule, host: PluginHost): Promise<PluginInstance> {
  const names = new Set((module.migrations ?? []).map((m) => m.name));
  const missing = manifest.migrations.filter((m) => !names.has(m));
  if (missing.length) throw new Error(`plugin ${manifest.id}: migrations ${missing.join(', ')} named in plugin.json are not exported`);
  if (manifest.adminPage && host.admin) host.addAdminPage({ ...manifest.adminPage, path: adminPath(host.admin.basePath, manifest.adminPage.path) });
  // The plugin's lines carry its id once, bound here, whatever logger the host hands over.
  const logger = host.logger.child({ plugin: manifest.id });
  const instance = await module.register({ ...host, logger });
  logger.info({ version: manifest.version }, 'plugin registered');
  return instance;
}
