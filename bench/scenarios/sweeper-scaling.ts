import { QueryTypes, type Sequelize } from 'sequelize';
import { claimDeliveries } from '../../src/webhooks/db/deliveries.js';
import { appendDeliveries, dueCount, resetDueRows } from '../lib/delivery-table.js';
import { naiveDatabase } from '../lib/naive-database.js';
import { median } from '../lib/stats.js';
import { count, ms, ratio } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

/**
 * 4. Sweeper scaling: one claim of the 1,000 due rows when the delivery table holds 10,000 rows,
 * then when it holds 1,000,000 (the same due rows, the rest history). A claim that reads only
 * what is due costs the same in both; one that scans the table does not.
 */
export async function sweeperScaling({ settings, receiver, log }: BenchContext): Promise<ScenarioResult> {
  const { small, large, due, repeats } = settings.sweeper;
  const db = await naiveDatabase(receiver.url('ok', 'sweeper'));
  try {
    const { sequelize, webhookId } = db;
    let t0 = performance.now();
    await appendDeliveries(sequelize, webhookId, small, due);
    log(`${count(small)} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const smallTimes = await timeClaims(sequelize, due, repeats);
    log(`claim of ${count(due)} among ${count(small)}: median ${ms(median(smallTimes))} (${smallTimes.map(ms).join(', ')})`);

    t0 = performance.now();
    await appendDeliveries(sequelize, webhookId, large - small, due);
    log(`${count(large)} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const largeTimes = await timeClaims(sequelize, due, repeats);
    log(`claim of ${count(due)} among ${count(large)}: median ${ms(median(largeTimes))} (${largeTimes.map(ms).join(', ')})`);
    const explain = await explainClaim(sequelize, due);

    const r = median(largeTimes) / median(smallTimes);
    return {
      rows: [
        {
          id: '4',
          name: 'Sweeper claim scaling',
          figure: `${ms(median(largeTimes))} among ${count(large)} rows`,
          baseline: `${ms(median(smallTimes))} among ${count(small)}`,
          result: ratio(r),
          target: '≤ 1.50×',
          met: r <= 1.5,
        },
      ],
      details: [
        `One claim (the engine's claimDeliveries: SELECT ... FOR UPDATE SKIP LOCKED, then the lease UPDATE, in one transaction) ` +
          `of ${count(due)} due rows, median of ${repeats}; the due rows are reset between claims. ` +
          `Besides the due rows the table holds delivered (97 %), failed (1 %) and not-yet-due pending (1 %) rows.`,
        '',
        `| rows in table | claims (ms) | median |`,
        '| --- | --- | --- |',
        `| ${count(small)} | ${smallTimes.map((t) => t.toFixed(1)).join(', ')} | ${ms(median(smallTimes))} |`,
        `| ${count(large)} | ${largeTimes.map((t) => t.toFixed(1)).join(', ')} | ${ms(median(largeTimes))} |`,
        '',
        `EXPLAIN of the claim's SELECT with ${count(large)} rows:`,
        '',
        '```',
        explain,
        '```',
      ],
    };
  } finally {
    await db.stop();
  }
}

async function timeClaims(sequelize: Sequelize, due: number, repeats: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    await resetDueRows(sequelize, due);
    const now = new Date();
    const t0 = performance.now();
    const claimed = await claimDeliveries(sequelize, { owner: `bench-${i}`, now, leaseUntil: new Date(now.getTime() + 60_000), limit: due });
    const elapsed = performance.now() - t0;
    if (claimed.length !== due) throw new Error(`claimed ${claimed.length} of ${due} due rows`);
    if (i > 0) times.push(elapsed); // the first claim warms the pool and the buffer pool
  }
  if ((await dueCount(sequelize)) !== 0) throw new Error('due rows left after the claims');
  return times;
}

/** Runs one claim with statement logging on, then EXPLAINs the SELECT it sent. */
async function explainClaim(sequelize: Sequelize, due: number): Promise<string> {
  await resetDueRows(sequelize, due);
  const statements: string[] = [];
  const options = (sequelize as unknown as { options: { logging?: unknown } }).options;
  const previous = options.logging;
  options.logging = (sql: string) => statements.push(sql.replace(/^Executing \([^)]*\): /, ''));
  try {
    const now = new Date();
    await claimDeliveries(sequelize, { owner: 'bench-explain', now, leaseUntil: new Date(now.getTime() + 60_000), limit: due });
  } finally {
    options.logging = previous;
  }
  const select = statements.find((s) => /^\s*SELECT/i.test(s) && /FROM webhook_deliveries/i.test(s));
  if (!select) return 'claim SELECT not captured';
  const rows = await sequelize.query<Record<string, unknown>>(`EXPLAIN ${select}`, { type: QueryTypes.SELECT });
  const columns = ['id', 'select_type', 'table', 'type', 'possible_keys', 'key', 'key_len', 'ref', 'rows', 'Extra'];
  const table = [columns, ...rows.map((r) => columns.map((c) => String(r[c] ?? 'NULL')))];
  const widths = columns.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return [select.replace(/\s+/g, ' ').trim(), '', ...table.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd())].join('\n');
}
