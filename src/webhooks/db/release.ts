import { QueryTypes, type Sequelize } from 'sequelize';
import { exclusiveWrite } from '../../db/write-queue.js';
import { sqlDate } from './values.js';

/**
 * Hands claimed rows back unsent: due now, unleased, for any sweeper. Only rows still leased by
 * one of `owners` change (one another process has re-claimed since is left alone). Answers how many.
 */
export async function releaseLeases(sequelize: Sequelize, rowIds: readonly number[], owners: readonly string[], now: Date): Promise<number> {
  if (rowIds.length === 0) return 0;
  const changed = await exclusiveWrite(sequelize, () => sequelize.query(
    `UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = :now
      WHERE id IN (:ids) AND lease_owner IN (:owners) AND status = 'pending'`,
    { type: QueryTypes.BULKUPDATE, replacements: { ids: [...rowIds], owners: [...new Set(owners)], now: sqlDate(sequelize, now) } },
  ));
  return Number(changed);
}
