import { QueryTypes, type Sequelize } from 'sequelize';
import { claimDeliveries } from '../../src/webhooks/db/claim.js';
import { appendDeliveries, dueCount, parkDueRows, resetDueRows, settleInnodb, tableFootprint } from '../lib/delivery-table.js';
import { createWebhook } from '../lib/api.js';
import { startEngineHost, type EngineHost } from '../lib/engine-host.js';
import { median } from '../lib/stats.js';
import { bytes, count, ms, percent, ratio } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

/**
 * 4. Sweeper scaling: one engine.sweepOnce() with 1,000 due rows when the delivery table holds
 * 10,000 rows and when it holds 1,000,000 (the same due rows, the rest history); and one claim of
 * all 1,000 due rows at both sizes. A claim that reads only what is due costs the same in both;
 * one that scans the table does not. The two tables live in two databases, each with the plugin
 * installed, and the runs alternate between them so that a noisy machine slows both alike.
 */
export async function sweeperScaling({ settings, receiver, log }: BenchContext): Promise<ScenarioResult> {
  const { small, large, due, repeats } = settings.sweeper;
  const hosts: EngineHost[] = [];
  try {
    const tables: Table[] = [];
    for (const rows of [small, large]) {
      const host = await startEngineHost();
      hosts.push(host);
      const webhookId = await createWebhook(host.url, { name: 'sweeper', url: receiver.url('ok', 'sweeper'), events: ['message.received'] });
      await host.engine.idle();
      const t0 = performance.now();
      await appendDeliveries(host.sequelize, webhookId, rows, due);
      log(`${count(rows)} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      tables.push({ host, rows, sweeps: [], claims: [], started: 0 });
    }
    const t1 = performance.now();
    const dirty = await settleInnodb(hosts[0]!.sequelize, settings.quick ? 4_000 : 30_000);
    log(`InnoDB flushed the load's dirty pages down to ${percent(dirty)} of its buffer pool in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    // One unmeasured round warms the pools, the JIT and the buffer pool.
    for (let i = 0; i <= repeats; i++) {
      for (const table of tables) {
        const sweep = await timeSweep(table.host, due);
        const claim = await timeClaim(table.host.sequelize, due);
        if (i === 0) continue;
        table.sweeps.push(sweep.ms);
        table.started = sweep.started;
        table.claims.push(claim);
      }
    }
    for (const t of tables) {
      log(`${count(t.rows)} rows: sweepOnce() median ${ms(median(t.sweeps))} (${t.started} attempts started), claim of ${count(due)} median ${ms(median(t.claims))}`);
    }
    const [atSmall, atLarge] = tables as [Table, Table];
    const explain = await explainClaim(atLarge.host.sequelize, due);
    const footprint = await tableFootprint(atLarge.host.sequelize);

    const sweepRatio = median(atLarge.sweeps) / median(atSmall.sweeps);
    const claimRatio = median(atLarge.claims) / median(atSmall.claims);
    const times = (values: number[]) => values.map((t) => t.toFixed(1)).join(', ');
    return {
      rows: [
        {
          id: '4a',
          name: 'Sweeper: sweepOnce() scaling',
          figure: `${ms(median(atLarge.sweeps))} among ${count(large)} rows`,
          baseline: `${ms(median(atSmall.sweeps))} among ${count(small)}`,
          result: ratio(sweepRatio),
          target: '≤ 1.50×',
          met: sweepRatio <= 1.5,
        },
        {
          id: '4b',
          name: `Sweeper: claim of ${count(due)} due`,
          figure: `${ms(median(atLarge.claims))} among ${count(large)} rows`,
          baseline: `${ms(median(atSmall.claims))} among ${count(small)}`,
          result: ratio(claimRatio),
          target: '≤ 1.50×',
          met: claimRatio <= 1.5,
        },
      ],
      details: [
        `${count(due)} due rows of one webhook; besides them each table holds delivered (97 %), failed (1 %) and not-yet-due pending (1 %) rows. ` +
          `Medians of ${repeats} runs per size, alternating between the two tables, after InnoDB flushed the bulk load's dirty pages ` +
          `(down to ${percent(dirty)} of its buffer pool); the due rows are made due again before every run. ` +
          'sweepOnce() is the engine the plugin builds, with the default WEBHOOK_SWEEP_BATCH, WEBHOOK_CONCURRENCY and ' +
          `WEBHOOK_CONCURRENCY_PER_WEBHOOK: it claims as many rows as it has free slots, starts their POSTs (${atSmall.started} here, ` +
          'the cap for one webhook), hands the rest back and resolves; it is timed to that point. ' +
          `"Claim" is the engine's claimDeliveries (SELECT ... FOR UPDATE SKIP LOCKED, then the lease UPDATE, one transaction) with LIMIT ${count(due)}.`,
        '',
        '| rows in table | sweepOnce() runs (ms) | median | claim runs (ms) | median |',
        '| --- | --- | --- | --- | --- |',
        ...tables.map((t) => `| ${count(t.rows)} | ${times(t.sweeps)} | ${ms(median(t.sweeps))} | ${times(t.claims)} | ${ms(median(t.claims))} |`),
        '',
        `With ${count(large)} rows the table takes ${bytes(footprint.table)} (data and indexes) against a ${bytes(footprint.bufferPool)} InnoDB buffer pool.`,
        '',
        `EXPLAIN of the claim's SELECT with ${count(large)} rows in the table:`,
        '',
        '```',
        explain,
        '```',
      ],
    };
  } finally {
    for (const host of hosts) await host.stop();
  }
}

interface Table {
  host: EngineHost;
  rows: number;
  sweeps: number[];
  claims: number[];
  started: number;
}

/**
 * One sweepOnce() over the due set; once the engine is idle (its attempts sent and recorded), rows
 * it left due are parked so that the next run starts from the same state. Parking while the engine
 * still records attempts made the two UPDATEs deadlock.
 */
async function timeSweep(host: EngineHost, due: number): Promise<{ ms: number; started: number }> {
  await resetDueRows(host.sequelize, due);
  const t0 = performance.now();
  const started = await host.engine.sweepOnce();
  const elapsed = performance.now() - t0;
  if (started === 0) throw new Error('sweepOnce() started nothing with due rows');
  await host.engine.idle();
  await parkDueRows(host.sequelize, due);
  return { ms: elapsed, started };
}

/** One claim of the whole due set. */
async function timeClaim(sequelize: Sequelize, due: number): Promise<number> {
  await resetDueRows(sequelize, due);
  const now = new Date();
  const t0 = performance.now();
  const { claimed } = await claimDeliveries(sequelize, { owner: 'bench-claim', now, leaseUntil: new Date(now.getTime() + 60_000), limit: due });
  const elapsed = performance.now() - t0;
  if (claimed.length !== due) throw new Error(`claimed ${claimed.length} of ${due} due rows`);
  if ((await dueCount(sequelize)) !== 0) throw new Error('due rows left after a claim');
  return elapsed;
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
