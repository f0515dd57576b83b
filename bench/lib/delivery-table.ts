import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Fills webhook_deliveries in bulk, server-side (INSERT ... SELECT over MariaDB's seq_1_to_N
 * sequence table): a million rows take seconds, not the minutes of a million client inserts.
 *
 * Row ids are 1..N in order. Among the first `dueEvery × due` ids every `dueEvery`-th row is due
 * (pending, next attempt a minute ago); the rest is history as a busy install accumulates it:
 * mostly delivered, some failed, some pending with a retry later (not due).
 */
export const DUE_EVERY = 10;

const body = JSON.stringify({
  event: 'message.received',
  delivery_id: '00000000-0000-4000-8000-000000000000',
  timestamp: '2024-01-01T00:00:00.000Z',
  data: { message_id: 1, content: 'Hello, is anyone there?', conversation_id: 1, visitor_name: 'Ada', status: 'open' },
});

/** Appends `rows` rows after the current last id; rows within the due set become due. */
export async function appendDeliveries(sequelize: Sequelize, webhookId: number, rows: number, dueRows: number): Promise<void> {
  const [{ maxId } = { maxId: 0 }] = await sequelize.query<{ maxId: number | null }>('SELECT MAX(id) AS maxId FROM webhook_deliveries', { type: QueryTypes.SELECT });
  const offset = Number(maxId ?? 0);
  const dueLimit = dueRows * DUE_EVERY;
  // Batches keep each transaction's undo log small (one 1M-row statement is slower, not faster).
  const batch = 100_000;
  for (let done = 0; done < rows; done += batch) {
    const n = Math.min(batch, rows - done);
    await sequelize.query(
      `INSERT INTO webhook_deliveries
         (id, delivery_id, webhook_id, event, body, is_test, status, attempt_number, retry_base, next_attempt_at, last_status_code, delivered_at, created_at, updated_at)
       SELECT s.id, UUID(), :webhookId, 'message.received', :body, 0,
              CASE WHEN s.id <= :dueLimit AND s.id % :dueEvery = 0 THEN 'pending'
                   WHEN s.id % 100 = 1 THEN 'failed'
                   WHEN s.id % 100 = 2 THEN 'pending'
                   ELSE 'delivered' END,
              1, 0,
              CASE WHEN s.id <= :dueLimit AND s.id % :dueEvery = 0 THEN UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE
                   WHEN s.id % 100 = 2 THEN UTC_TIMESTAMP(3) + INTERVAL 30 MINUTE
                   ELSE UTC_TIMESTAMP(3) - INTERVAL (s.id % 86400) SECOND END,
              200, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) - INTERVAL (s.id % 86400) SECOND, UTC_TIMESTAMP(3)
         FROM (SELECT seq + :offset AS id FROM seq_1_to_${n}) s`,
      { replacements: { webhookId, body, dueLimit, dueEvery: DUE_EVERY, offset: offset + done } },
    );
  }
  await sequelize.query('ANALYZE TABLE webhook_deliveries');
}

/**
 * `rows` deliveries of one webhook left pending by an endpoint that was down: each tried once,
 * refused, and due for its retry now.
 */
export async function appendBacklog(sequelize: Sequelize, webhookId: number, rows: number): Promise<void> {
  await sequelize.query(
    `INSERT INTO webhook_deliveries
       (delivery_id, webhook_id, event, body, is_test, status, attempt_number, retry_base, next_attempt_at, last_error, created_at, updated_at)
     SELECT UUID(), :webhookId, 'message.received', :body, 0, 'pending', 1, 0, UTC_TIMESTAMP(3) - INTERVAL 1 SECOND,
            'connect ECONNREFUSED 127.0.0.1', UTC_TIMESTAMP(3) - INTERVAL 2 MINUTE, UTC_TIMESTAMP(3)
       FROM seq_1_to_${rows}`,
    { replacements: { webhookId, body } },
  );
}

/** Makes the due set due again (pending, unclaimed, a minute overdue) after a claim took it. */
export async function resetDueRows(sequelize: Sequelize, dueRows: number): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_deliveries
        SET status = 'pending', next_attempt_at = UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE, lease_owner = NULL, lease_expires_at = NULL, attempt_number = 1
      WHERE id <= :limit AND id % :every = 0`,
    { replacements: { limit: dueRows * DUE_EVERY, every: DUE_EVERY } },
  );
}

/** Takes the due set out of reach (delivered) except rows under a lease, which their sender completes. */
export async function parkDueRows(sequelize: Sequelize, dueRows: number): Promise<void> {
  await sequelize.query(
    `UPDATE webhook_deliveries SET status = 'delivered' WHERE id <= :limit AND id % :every = 0 AND status = 'pending' AND lease_owner IS NULL`,
    { replacements: { limit: dueRows * DUE_EVERY, every: DUE_EVERY } },
  );
}

/**
 * Waits (at most `maxMs`) until InnoDB has flushed most of the dirty pages a bulk load left in its
 * buffer pool, so that the background flushing does not land on the measurements that follow.
 * Returns the share of dirty pages it stopped at.
 */
export async function settleInnodb(sequelize: Sequelize, maxMs: number, targetShare = 0.25): Promise<number> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const rows = await sequelize.query<{ Variable_name: string; Value: string }>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_buffer_pool_pages_total')",
      { type: QueryTypes.SELECT },
    );
    const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
    const share = value('Innodb_buffer_pool_pages_dirty') / Math.max(1, value('Innodb_buffer_pool_pages_total'));
    if (share <= targetShare || performance.now() >= deadline) return share;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Bytes of webhook_deliveries (data and indexes, InnoDB's estimate) and of InnoDB's buffer pool. */
export async function tableFootprint(sequelize: Sequelize): Promise<{ table: number; bufferPool: number }> {
  await sequelize.query('ANALYZE TABLE webhook_deliveries');
  const [row] = await sequelize.query<{ size: number; pool: number }>(
    `SELECT data_length + index_length AS size, @@innodb_buffer_pool_size AS pool
       FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'webhook_deliveries'`,
    { type: QueryTypes.SELECT },
  );
  return { table: Number(row?.size ?? 0), bufferPool: Number(row?.pool ?? 0) };
}

/** Rows due now (what a claim can take). */
export async function dueCount(sequelize: Sequelize): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(3)`,
    { type: QueryTypes.SELECT },
  );
  return Number(row?.n ?? 0);
}
