import { createHash } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';

export interface FingerprintTables {
  /** Small tables an admin edits: compared row by row. */
  full?: string[];
  /** Tables the request itself writes: count, highest id and latest `updated_at`. */
  growing?: string[];
  /**
   * Tables compared by count and highest id only: webhook_deliveries rows are created with the
   * chat's write but updated later by the sender, in the background, whatever the next request is.
   */
  appendOnly?: string[];
  /**
   * Queues that must be empty before the fingerprint is taken: in thread mode an accepted event
   * waits in webhook_events until the delivery worker fans it out into webhook_deliveries, which
   * can land during a later, refused case.
   */
  drained?: string[];
}

async function waitUntilEmpty(sequelize: Sequelize, table: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [row] = await sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`, { type: QueryTypes.SELECT });
    if (Number(row?.n ?? 0) === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A fingerprint of the database for "a refused request changed nothing". */
export function fingerprint(sequelize: Sequelize, tables: FingerprintTables): () => Promise<string> {
  return async () => {
    for (const table of tables.drained ?? []) await waitUntilEmpty(sequelize, table);
    const hash = createHash('sha256');
    for (const table of tables.full ?? []) {
      const rows = await sequelize.query(`SELECT * FROM ${table} ORDER BY id`, { type: QueryTypes.SELECT });
      hash.update(JSON.stringify(rows));
    }
    // One round trip for the rest: this runs several times per fuzz case.
    const columns = [
      ...(tables.growing ?? []).map((t) => `(SELECT COUNT(*) FROM ${t}) AS n_${t}, (SELECT MAX(id) FROM ${t}) AS m_${t}, (SELECT MAX(updated_at) FROM ${t}) AS u_${t}`),
      ...(tables.appendOnly ?? []).map((t) => `(SELECT COUNT(*) FROM ${t}) AS n_${t}, (SELECT MAX(id) FROM ${t}) AS m_${t}`),
    ];
    if (columns.length > 0) hash.update(JSON.stringify(await sequelize.query(`SELECT ${columns.join(', ')}`, { type: QueryTypes.SELECT })));
    return hash.digest('hex');
  };
}
