import { QueryTypes, type Sequelize } from 'sequelize';

/** Deliveries still pending (queued, in flight or waiting to retry). */
export function pendingRows(sequelize: Sequelize): Promise<number> {
  return countByStatus(sequelize, 'pending');
}

/** Deliveries whose row says delivered: POSTed, answered 2xx, and recorded. */
export function deliveredRows(sequelize: Sequelize): Promise<number> {
  return countByStatus(sequelize, 'delivered');
}

async function countByStatus(sequelize: Sequelize, status: string): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = :status', {
    type: QueryTypes.SELECT,
    replacements: { status },
  });
  return Number(row?.n ?? 0);
}
