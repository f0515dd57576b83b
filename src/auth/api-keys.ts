import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { KEY_PREFIX_LENGTH } from './credential-guard.js';

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** A new random API key: `lck_` + 43 base64url characters (256 bits). */
export function generateApiKey(): string {
  return 'lck_' + randomBytes(32).toString('base64url');
}

/**
 * API keys: ADMIN_API_KEY from the environment (held only as a hash) plus keys stored hashed in
 * `api_keys`. Lookups are by hash, and the final comparison is constant-time.
 */
export class ApiKeyStore {
  readonly #envHash: Buffer | null;
  readonly #envPrefix: string | null;

  constructor(private readonly sequelize: Sequelize, adminApiKey?: string) {
    this.#envHash = adminApiKey ? Buffer.from(sha256(adminApiKey), 'hex') : null;
    this.#envPrefix = adminApiKey ? adminApiKey.slice(0, KEY_PREFIX_LENGTH) : null;
  }

  /** Whether some key starts with `prefix` (its first KEY_PREFIX_LENGTH characters): which key a guess is aimed at. */
  async hasPrefix(prefix: string): Promise<boolean> {
    if (prefix.length !== KEY_PREFIX_LENGTH) return false;
    if (prefix === this.#envPrefix) return true;
    const rows = await this.sequelize.query('SELECT 1 AS found FROM api_keys WHERE key_prefix = ? LIMIT 1', {
      replacements: [prefix],
      type: QueryTypes.SELECT,
    });
    return rows.length > 0;
  }

  async verify(key: unknown): Promise<boolean> {
    if (typeof key !== 'string' || key.length < 16 || key.length > 256) return false;
    const hash = Buffer.from(sha256(key), 'hex');
    if (this.#envHash && timingSafeEqual(hash, this.#envHash)) return true;
    const rows = await this.sequelize.query<{ id: number; key_hash: string }>(
      'SELECT id, key_hash FROM api_keys WHERE key_hash = ?',
      { replacements: [hash.toString('hex')], type: QueryTypes.SELECT },
    );
    const row = rows[0];
    return row !== undefined && timingSafeEqual(Buffer.from(row.key_hash, 'hex'), hash);
  }

  /** Stores a new key hashed and returns it: the only time it is ever seen. */
  async create(name: string): Promise<string> {
    const key = generateApiKey();
    const now = new Date();
    await this.sequelize.getQueryInterface().bulkInsert('api_keys', [
      { name, key_hash: sha256(key), key_prefix: key.slice(0, KEY_PREFIX_LENGTH), created_at: now, updated_at: now },
    ]);
    return key;
  }

  async count(): Promise<number> {
    const [row] = await this.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM api_keys', { type: QueryTypes.SELECT });
    return Number(row?.n ?? 0);
  }

  /**
   * On first start with no ADMIN_API_KEY and no stored key, creates one and returns it so the
   * caller can print it once. Returns null otherwise.
   */
  async ensureInitialKey(): Promise<string | null> {
    if (this.#envHash || (await this.count()) > 0) return null;
    return this.create('initial admin key');
  }
}
