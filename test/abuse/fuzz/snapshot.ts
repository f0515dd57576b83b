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
    const growing = tables.growing ?? [];
    if (growing.length > 0) {
      // One round trip for all of them: this runs several times per fuzz case.
      const columns = growing.map((table, i) => {
        const latest = table === 'webhook_delivery_attempts' ? 'created_at' : 'updated_at';
        return `(SELECT COUNT(*) FROM ${table}) AS n${i}, (SELECT MAX(id) FROM ${table}) AS m${i}, (SELECT MAX(${latest}) FROM ${table}) AS u${i}`;
      });
      hash.update(JSON.stringify(await sequelize.query(`SELECT ${columns.join(', ')}`, { type: QueryTypes.SELECT })));
    }
    return hash.digest('hex');
  };
}
