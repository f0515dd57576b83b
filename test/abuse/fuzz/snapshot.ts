import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * A fingerprint of the database for "a refused request changed nothing": whole rows of the
 * small tables an admin edits, and count, highest id and latest update of the tables that grow.
 */
export function fingerprint(sequelize: Sequelize, tables: { full?: string[]; growing?: string[] }): () => Promise<string> {
  return async () => {
    const hash = createHash('sha256');
    for (const table of tables.full ?? []) {
      const rows = await sequelize.query(`SELECT * FROM ${table} ORDER BY id`, { type: QueryTypes.SELECT });
      hash.update(JSON.stringify(rows));
    }
    for (const table of tables.growing ?? []) {
      const rows = await sequelize.query(`SELECT COUNT(*) AS n, MAX(id) AS m, MAX(${table === 'webhook_delivery_attempts' ? 'created_at' : 'updated_at'}) AS u FROM ${table}`, {
        type: QueryTypes.SELECT,
      });
      hash.update(JSON.stringify(rows));
    }
    return hash.digest('hex');
  };
}
