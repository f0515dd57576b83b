import { createWebhook } from '../lib/api.js';
import { appendBacklog } from '../lib/delivery-table.js';
import { startEngineHost } from '../lib/engine-host.js';
import { waitFor } from '../lib/load.js';
import { deliveredRows, pendingRows } from '../lib/delivery-counts.js';
import { count, percent, perSecond } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

/**
 * 5. Backlog drain: N deliveries of one webhook pending after its endpoint was down; the endpoint
 * comes back and the engine is woken (as re-enabling a webhook or the next sweep does). Timed until
 * every row is delivered; compared with the durable throughput of benchmark 2 in the same run.
 */
export async function backlog({ settings, receiver, log, figures }: BenchContext): Promise<ScenarioResult> {
  const n = settings.backlog.rows;
  // The sweeper keeps its default schedule here: in production it is part of how a backlog drains.
  const host = await startEngineHost({ WEBHOOK_SWEEP_CRON: '*/15 * * * * *' });
  const limitSeconds = settings.quick ? 30 : 120;
  try {
    const { sequelize, engine } = host;
    const webhookId = await createWebhook(host.url, { name: 'was down', url: receiver.url('ok', 'backlog'), events: ['message.received'], secret: 'whsec_bench_backlog' });
    await engine.idle();
    await receiver.down();
    await appendBacklog(sequelize, webhookId, n);
    await receiver.reset();
    await receiver.up();

    const t0 = performance.now();
    engine.wake();
    const drained = await waitFor(async () => (await pendingRows(sequelize)) === 0, limitSeconds * 1000, 20);
    const seconds = (performance.now() - t0) / 1000;
    const delivered = await deliveredRows(sequelize);
    if (!drained) log(`gave up after ${limitSeconds} s: ${count(delivered)} of ${count(n)} delivered`);
    const received = await receiver.counts();
    const rate = delivered / seconds;
    await engine.idle();
    log(`${count(delivered)} delivered in ${seconds.toFixed(1)} s = ${perSecond(rate)} (${received.duplicates} duplicate POSTs)`);

    const durable = figures.get('durableRate');
    const share = durable === undefined ? Number.NaN : rate / durable;
    return {
      rows: [
        {
          id: '5',
          name: 'Backlog drain',
          figure: `${drained ? count(n) : `only ${count(delivered)} of ${count(n)}`} in ${seconds.toFixed(1)} s = ${perSecond(rate)}`,
          baseline: durable === undefined ? 'figure 2 not measured in this run' : `figure 2: ${perSecond(durable)}`,
          result: percent(share),
          target: '≥ 50 % of figure 2',
          met: durable === undefined ? null : drained && share >= 0.5,
        },
      ],
      details: [
        `${count(n)} deliveries of one webhook (signed), each tried once while the endpoint was down and due for its retry, ` +
          'written in bulk; the endpoint comes back, engine.wake() is called once, and the engine sweeps on its own (woken by freed ' +
          'slots and by its node-cron sweeper every 15 s) until every row is delivered (status updated), with its default ' +
          `WEBHOOK_CONCURRENCY and WEBHOOK_CONCURRENCY_PER_WEBHOOK; the benchmark gives up after ${limitSeconds} s. ` +
          `${count(delivered)} rows delivered in ${seconds.toFixed(1)} s; the receiver saw ${count(received.ok)} POSTs, ` +
          `${received.duplicates} of them duplicates.`,
      ],
    };
  } finally {
    await host.stop();
  }
}
