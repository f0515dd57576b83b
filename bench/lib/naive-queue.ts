import { benchGot } from './http.js';
import { closedLoop, type LoopResult } from './load.js';
import { naiveDatabase } from './naive-database.js';
import { naiveDelivery } from './naive.js';

/**
 * The naive queue's throughput: `concurrency` workers each running naiveDelivery back to back
 * against a database of its own, to `url`, for `seconds`.
 */
export async function measureNaive(url: string, concurrency: number, seconds: number, secret: string): Promise<LoopResult & { rate: number }> {
  const db = await naiveDatabase(url);
  const { got, close } = benchGot(concurrency);
  try {
    const webhook = { id: db.webhookId, url, secret };
    const job = (i: number) => naiveDelivery(db.sequelize, got, webhook, i);
    await closedLoop(concurrency, 1000, job);
    const result = await closedLoop(concurrency, seconds * 1000, job);
    return { ...result, rate: result.done / result.seconds };
  } finally {
    close();
    await db.stop();
  }
}
