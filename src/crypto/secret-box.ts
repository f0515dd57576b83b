import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts webhook secrets at rest with AES-256-GCM under the app key, which never enters the
 * database: a stolen dump cannot sign requests. Ciphertext format: `v1.<iv>.<tag>.<data>` (base64url).
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('app key must be 32 bytes');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** APP_KEY as 64 hex chars or base64 of 32 bytes. */
export function parseAppKey(value: string): Buffer | null {
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  const b = Buffer.from(value, 'base64');
  return b.length === 32 ? b : null;
}

/** The app key from APP_KEY, else from `<dataDir>/app.key`, generated there (mode 0600) on first start. */
export function loadAppKey(appKey: string | undefined, dataDir: string): Buffer {
  if (appKey) {
    const key = parseAppKey(appKey);
    if (!key) throw new Error('APP_KEY: expected 32 bytes as 64 hex characters or base64');
    return key;
  }
  const file = join(dataDir, 'app.key');
  if (existsSync(file)) {
    const key = parseAppKey(readFileSync(file, 'utf8').trim());
    if (!key) throw new Error(`APP_KEY: ${file} does not hold a 32-byte key`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
