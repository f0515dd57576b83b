import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findUp(dir: string, file: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, file))) return d;
    if (dirname(d) === d) throw new Error(`${file} not found above ${dir}`);
  }
}

/**
 * The package's root: the nearest folder above this module holding plugin.json. That is the
 * checkout when running from src/ or dist/src/, and node_modules/livechat-webhooks when installed.
 */
export const packageRoot = findUp(dirname(fileURLToPath(import.meta.url)), 'plugin.json');
