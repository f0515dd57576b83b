import { QueryTypes, type Sequelize } from 'sequelize';
import { parseIntOr, sqlDate } from './values.js';

/**
 * Upper bounds (ms, inclusive) of the duration buckets the chart's query counts attempts in; a last
 * bucket takes everything slower. p50/p95 are estimated from them as Prometheus's histogram_quantile
 * does: close enough to see a receiver slow down, without sorting a day of attempts.
 */
export const DURATION_BOUNDS_MS = [
  5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 30_000, 60_000,
] as const;

/** Attempts of one hour with one cause in one duration bucket. */
export interface AttemptCount {
  /** The hour, `YYYY-MM-DD HH` in UTC. */
  hour: string;
  cause: string;
  /** Index into DURATION_BOUNDS_MS; DURATION_BOUNDS_MS.length for slower ones. */
  bucket: number;
  count: number;
}

const bucketSql = `CASE ${DURATION_BOUNDS_MS.map((bound, i) => `WHEN duration_ms <= ${bound} THEN ${i}`).join(' ')} ELSE ${DURATION_BOUNDS_MS.length} END`;

/**
 * A webhook's attempts in [since, until) counted by hour, cause and duration bucket, test attempts
 * left out, in ONE query: a range scan of the covering index (webhook_id, created_at, is_test,
 * duration_ms, cause) that reads no table row. At most hours × causes × buckets rows come back.
 */
export class AttemptStats {
  constructor(private readonly sequelize: Sequelize) {}

  async hourly(webhookId: number, since: Date, until: Date): Promise<AttemptCount[]> {
    const { sequelize } = this;
    // Times are stored as UTC text on SQLite and UTC DATETIMEs on MySQL: the first 13 characters are the hour.
    const hour = sequelize.getDialect() === 'sqlite' ? 'substr(created_at, 1, 13)' : "DATE_FORMAT(created_at, '%Y-%m-%d %H')";
    const rows = await sequelize.query<Record<string, unknown>>(
      `SELECT ${hour} AS hour, cause, ${bucketSql} AS bucket, COUNT(*) AS n
         FROM webhook_delivery_attempts
        WHERE webhook_id = :webhookId AND created_at >= :since AND created_at < :until AND is_test = :no
        GROUP BY 1, 2, 3`,
      {
        type: QueryTypes.SELECT,
        replacements: { webhookId, since: sqlDate(sequelize, since), until: sqlDate(sequelize, until), no: false },
      },
    );
    return rows.map((r) => ({ hour: String(r.hour), cause: String(r.cause), bucket: parseIntOr(r.bucket, 0), count: parseIntOr(r.n, 0) }));
  }
}
