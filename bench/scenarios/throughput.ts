import { setTimeout as sleep } from 'node:timers/promises';
import { sampleEnvelope, sampleMessage } from '../lib/events.js';
import { closedLoop, waitFor } from '../lib/load.js';
import { countStatements, perUnit } from '../lib/sql-counter.js';
import { measureCeiling } from '../lib/ceiling.js';
import { measureNaive } from '../lib/naive-queue.js';
import { deliveredRows, pendingRows } from '../lib/delivery-counts.js';
import { startBenchServer } from '../lib/server.js';
import { createWebhook } from '../lib/api.js';
import { bytes, count, percent, perSecond, ratio } from '../lib/format.js';
import { retainedHeap } from '../lib/gc.js';
import { measureCpu } from '../lib/cpu.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

const SECRET = 'whsec_bench_0123456789abcdef0123456789abcdef';

/** Chat-like writers emitting events concurrently, each in its own transaction. */
const PRODUCERS = 16;

/**
 * 2. Delivery throughput, durable, beside the ceiling (got alone, no database) and a naive queue
 * (one awaited insert, POST, attempt insert and update per delivery), all to the same receiver,
 * with the same number of requests in flight.
 */
export async function throughput(ctx: BenchContext): Promise<ScenarioResult> {
  const { settings, receiver, log } = ctx;
  const { concurrency } = settings.throughput;

  log(`ceiling: got alone, ${concurrency} in flight, ${settings.throughput.ceilingSeconds} s`);
  const ceiling = await measureCeiling(receiver.url('ok', 'ceiling'), concurrency, settings.throughput.ceilingSeconds);
  log(`  ${perSecond(ceiling)}`);

  log(`naive: insert, POST, attempt, update per delivery, ${concurrency} workers, ${settings.throughput.naiveSeconds} s`);
  const naive = await measureNaive(receiver.url('ok', 'naive'), concurrency, settings.throughput.naiveSeconds, SECRET);
  log(`  ${perSecond(naive.rate)}`);

  log(`durable: events through the hook bus into the engine, ${settings.throughput.webhooks} webhooks, ${settings.throughput.durableSeconds} s`);
  await receiver.reset();
  const durable = await measureDurable(ctx);
  log(`  ${perSecond(durable.rate)} (${count(durable.delivered)} rows delivered in ${durable.seconds.toFixed(1)} s)`);

  ctx.figures.set('durableRate', durable.rate);
  const ofCeiling = durable.rate / ceiling;
  const overNaive = durable.rate / naive.rate;
  const figure = `${perSecond(durable.rate)} delivered`;
  return {
    rows: [
      { id: '2a', name: 'Delivery throughput vs ceiling', figure, baseline: `got alone ${perSecond(ceiling)}`, result: percent(ofCeiling), target: '≥ 50 %', met: ofCeiling >= 0.5 },
      { id: '2b', name: 'Delivery throughput vs naive', figure, baseline: `naive ${perSecond(naive.rate)}`, result: ratio(overNaive), target: '≥ 3×', met: overNaive >= 3 },
    ],
    details: [
      `Receiver answers 200 at once (own process, keep-alive). ${concurrency} requests in flight for all three.`,
      `- Ceiling: got POSTs of a ${sampleEnvelope(1).body.length}-byte envelope, no database: ${perSecond(ceiling)}.`,
      `- Naive: ${count(naive.done)} deliveries in ${naive.seconds.toFixed(1)} s = ${perSecond(naive.rate)} (${naive.errors} errors).`,
      `- Durable: ${count(durable.events)} message.received events emitted by ${PRODUCERS} concurrent writers, each event in its own transaction, for ${settings.throughput.durableSeconds} s, ` +
        `each fanned out to ${settings.throughput.webhooks} webhooks; ${count(durable.delivered)} rows delivered (status updated) ` +
        `${durable.seconds.toFixed(1)} s after the first event = ${perSecond(durable.rate)}. ` +
        `Receiver saw ${count(durable.received)} POSTs, ${durable.duplicates} duplicates; ${durable.notDelivered} rows not delivered. ` +
        `The writers were held back (more than ${maxBehindFor(settings)} deliveries not yet received) ${percent(durable.heldBack)} of the time: ` +
        `${durable.heldBack > 0.2 ? 'delivery, not event writing, set the pace' : 'event writing (the chat side), not delivery, set the pace for much of the run'}.`,
      `- CPU time per 1,000 delivered rows (steadier than the rate when the machine is shared): ` +
        `${durable.cpuPerThousand.processMs.toFixed(0)} ms in this process (server, delivery thread, writers; the receiver has its own)` +
        `${durable.cpuPerThousand.databaseMs === null ? '' : `, ${durable.cpuPerThousand.databaseMs.toFixed(0)} ms in the database server`}.`,
      `- Heap still in use after the run (after a full GC) grew by ${bytes(durable.retainedPerRow)} per delivered row ` +
        '(the server and its engine share this process; a figure well above zero means something keeps every delivery alive).',
      `- SQL statements per delivered row on the durable path (emit, claim, record; ${durable.sql.total.toFixed(1)} in all): ` +
        `${durable.sql.lines.join(', ')}. The naive queue sends 3.`,
    ],
  };
}

/** Events from PRODUCERS writers, each fanned out to the bench's webhooks, until drained; `conversations` they are spread over. */
export async function measureDurable({ settings, receiver }: Pick<BenchContext, 'settings' | 'receiver'>, conversations = 1000) {
  const bench = await startBenchServer();
  try {
    const { sequelize, hooks } = bench.server;
    for (let i = 0; i < settings.throughput.webhooks; i++) {
      await createWebhook(bench.url, { name: `fast ${i}`, url: receiver.url('ok', `durable-${i}`), events: ['message.received'], secret: SECRET });
    }
    const fanout = settings.throughput.webhooks;
    let nextId = 1;
    const emit = () =>
      sequelize.transaction(async (transaction) => {
        await hooks.emit('message.received', sampleMessage(nextId++, conversations), { transaction });
      });

    // Warm up the engine, the pool and the JIT, then start from an empty receiver. Fewer events when
    // they share few conversations: each conversation's deliveries to a webhook go one at a time, and
    // 1,000 events in one conversation (8,000 deliveries in 8 chains) took longer than the 30 s allowed.
    await closedLoop(8, Math.min(1000, 100 * conversations), emit);
    if (!(await waitFor(async () => (await pendingRows(sequelize)) === 0, 30_000))) throw new Error('warm-up deliveries never finished');
    await receiver.reset();
    const before = await deliveredRows(sequelize);
    const heapBefore = retainedHeap();

    // Emitters stop when the receiver is this many deliveries behind, so the run measures
    // sustained delivery, not how fast an unbounded backlog can be written.
    const maxBehind = maxBehindFor(settings);
    let received = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        received = (await receiver.counts()).ok;
        await sleep(50);
      }
    })();
    const statements = countStatements(sequelize);
    const cpu = measureCpu();
    const start = performance.now();
    const deadline = start + settings.throughput.durableSeconds * 1000;
    let events = 0;
    let heldBackMs = 0;
    const producer = async () => {
      while (performance.now() < deadline) {
        if (events * fanout - received > maxBehind) {
          const t = performance.now();
          await sleep(2);
          heldBackMs += performance.now() - t;
          continue;
        }
        events++;
        await emit();
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, producer));
    const producing = (performance.now() - start) * PRODUCERS;
    const drained = await waitFor(async () => (await pendingRows(sequelize)) === 0, 120_000, 20);
    const seconds = (performance.now() - start) / 1000;
    const cpuSpent = cpu.stop();
    const sql = statements.stop();
    polling = false;
    await poller;
    const delivered = (await deliveredRows(sequelize)) - before;
    const counts = await receiver.counts();
    const retainedPerRow = (retainedHeap() - heapBefore) / Math.max(1, delivered);
    return {
      cpuPerThousand: {
        processMs: (cpuSpent.processMs * 1000) / Math.max(1, delivered),
        databaseMs: cpuSpent.databaseMs === null ? null : (cpuSpent.databaseMs * 1000) / Math.max(1, delivered),
      },
      retainedPerRow,
      heldBack: heldBackMs / producing,
      sql: perUnit(sql, delivered),
      events,
      delivered,
      seconds,
      rate: delivered / seconds,
      received: counts.ok,
      duplicates: counts.duplicates,
      notDelivered: drained ? events * fanout - delivered : await pendingRows(sequelize),
    };
  } finally {
    await bench.stop();
  }
}

/** Deliveries the writers may run ahead of the receiver before they wait. */
function maxBehindFor(settings: BenchContext['settings']): number {
  return settings.throughput.concurrency * 32;
}
