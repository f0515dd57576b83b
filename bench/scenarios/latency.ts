import { createWebhook } from '../lib/api.js';
import { sampleEnvelope, sampleMessage } from '../lib/events.js';
import { benchGot } from '../lib/http.js';
import { fixedRate, waitFor } from '../lib/load.js';
import { startBenchServer, type BenchServer } from '../lib/server.js';
import { summarize } from '../lib/stats.js';
import { ms, perSecond } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

type Path = 'raw' | 'engine';

/** How long after the last send a POST may still arrive; later ones count as never. */
const missingAfterMs = (settings: BenchContext['settings']) => (settings.quick ? 5_000 : 15_000);

/** process.hrtime in ms: CLOCK_MONOTONIC, the clock the receiver process stamps arrivals with. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * 3. Event-to-receiver latency at a steady rate: from hooks.emit (inside a transaction, as the chat
 * emits) to the receiver getting the POST, beside a raw got POST to the same receiver at the same
 * rate. The two alternate; both are stamped on the same monotonic clock.
 */
export async function latency(ctx: BenchContext): Promise<ScenarioResult> {
  const { settings, receiver, log } = ctx;
  const { ratePerSecond } = settings.latency;
  const rounds = settings.quick ? 1 : 2;
  const phaseMs = (settings.latency.seconds * 1000) / rounds;
  const bench = await startBenchServer();
  const { got, close } = benchGot(64);
  const samples: Record<Path, number[]> = { raw: [], engine: [] };
  const failures: Record<Path, string[]> = { raw: [], engine: [] };
  let nextId = 1;
  try {
    await createWebhook(bench.url, { name: 'timed', url: receiver.url('timed'), events: ['message.received'], secret: 'whsec_bench_latency' });
    const send: Record<Path, (id: number) => Promise<void>> = {
      raw: async (id) => {
        await got.post(receiver.url('timed', 'raw'), { body: sampleEnvelope(id).body, headers: { 'content-type': 'application/json' } });
      },
      engine: (id) => emit(bench, id),
    };
    for (const path of ['raw', 'engine'] as const) await phase(ctx, send[path], 1000, () => nextId++, []); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const path of ['raw', 'engine'] as const) {
        const latencies = await phase(ctx, send[path], phaseMs, () => nextId++, failures[path]);
        samples[path].push(...latencies);
        const s = summarize(latencies);
        const missing = latencies.filter((l) => l === Number.POSITIVE_INFINITY).length;
        log(`${path}: ${s.n - missing} of ${s.n} POSTs received, p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`);
      }
    }
  } finally {
    close();
    await bench.stop();
  }
  const raw = summarize(samples.raw);
  const engine = summarize(samples.engine);
  const missing = (path: Path) => samples[path].filter((l) => l === Number.POSITIVE_INFINITY).length;
  const gap = engine.p99 - raw.p99;
  return {
    rows: [
      {
        id: '3',
        name: 'Event-to-receiver latency',
        figure: `p50 ${ms(engine.p50)}, p99 ${ms(engine.p99)} hook → receiver`,
        baseline: `raw POST p50 ${ms(raw.p50)}, p99 ${ms(raw.p99)}`,
        result: `p99 +${ms(gap)}`,
        target: 'p99 ≤ raw + 25 ms',
        met: gap <= 25,
      },
    ],
    details: [
      `${perSecond(ratePerSecond)} steady, ${rounds} round(s) of ${(phaseMs / 1000).toFixed(1)} s per path, alternating. ` +
        'Engine path: hooks.emit("message.received") inside a sequelize transaction (as the chat does), one subscribed webhook with a secret; ' +
        'measured from the emit call to the request reaching the receiver process (both on CLOCK_MONOTONIC). ' +
        'Raw path: got.post of an envelope of the same size from the same process to the same receiver.',
      '',
      '| path | sent | never arrived | p50 | p99 | mean | max |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| raw POST | ${raw.n} | ${missing('raw')} | ${ms(raw.p50)} | ${ms(raw.p99)} | ${ms(raw.mean)} | ${ms(raw.max)} |`,
      `| hook → receiver | ${engine.n} | ${missing('engine')} | ${ms(engine.p50)} | ${ms(engine.p99)} | ${ms(engine.mean)} | ${ms(engine.max)} |`,
      '',
      `"Never arrived": not at the receiver ${missingAfterMs(settings) / 1000} s after the phase's last send, or the send itself failed; counted as infinitely late.`,
      ...(['raw', 'engine'] as const).flatMap((p) => failures[p].map((f) => `- ${p === 'raw' ? 'Raw POST' : 'Engine path (hooks.emit in a transaction)'}: ${f}.`)),
    ],
  };
}

async function emit(bench: BenchServer, id: number): Promise<void> {
  await bench.server.sequelize.transaction(async (transaction) => {
    await bench.server.hooks.emit('message.received', sampleMessage(id), { transaction });
  });
}

/** Sends at the fixed rate for `durationMs`; returns each message's send-to-arrival time. */
async function phase(
  { settings, receiver }: BenchContext,
  send: (id: number) => Promise<void>,
  durationMs: number,
  nextId: () => number,
  failures: string[],
): Promise<number[]> {
  await receiver.arrivals();
  const sentAt = new Map<number, number>();
  const result = await fixedRate(settings.latency.ratePerSecond, durationMs, async () => {
    const id = nextId();
    sentAt.set(id, now());
    await send(id);
  });
  if (result.errors) failures.push(`${result.errors} of ${result.started} sends failed (first: ${result.firstError})`);
  const arrived = new Map<number, number>();
  await waitFor(async () => {
    for (const [id, at] of await receiver.arrivals()) if (sentAt.has(id) && !arrived.has(id)) arrived.set(id, at);
    return arrived.size >= sentAt.size;
  }, missingAfterMs(settings));
  // A POST that never came counts as infinitely late: it must show in the p99, not vanish from it.
  return [...sentAt].map(([id, at]) => (arrived.has(id) ? arrived.get(id)! - at : Number.POSITIVE_INFINITY));
}
