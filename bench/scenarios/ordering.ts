import { count, perSecond, ratio } from '../lib/format.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';
import { measureDurable } from './throughput.js';

/**
 * 7. What order per conversation costs (SPEC §5): the durable run of figure 2 with its events in
 * 100 conversations, then all in one. A conversation's deliveries to a webhook go one after the
 * other, so one conversation is as many chains as there are webhooks; 100 conversations keep
 * every slot busy, as figure 2's 1,000 do.
 */
export async function ordering(ctx: BenchContext): Promise<ScenarioResult> {
  const { settings, receiver, log } = ctx;
  const runs: { conversations: number; rate: number; delivered: number; seconds: number; duplicates: number; notDelivered: number }[] = [];
  for (const conversations of [100, 1]) {
    log(`durable, events in ${conversations} conversation${conversations === 1 ? '' : 's'}, ${settings.throughput.webhooks} webhooks, ${settings.throughput.durableSeconds} s`);
    await receiver.reset();
    const run = await measureDurable(ctx, conversations);
    log(`  ${perSecond(run.rate)} (${count(run.delivered)} rows delivered in ${run.seconds.toFixed(1)} s)`);
    runs.push({ conversations, ...run });
  }
  const [many, one] = runs as [(typeof runs)[number], (typeof runs)[number]];
  return {
    rows: [
      {
        id: '7',
        name: "Order's cost: 1 conversation vs 100",
        figure: `${perSecond(one.rate)} in 1 conversation`,
        baseline: `${perSecond(many.rate)} in 100`,
        result: ratio(one.rate / many.rate),
        target: 'shown, no target',
        met: null,
      },
    ],
    details: [
      `The durable run of figure 2 (${settings.throughput.webhooks} webhooks, the same writers and receiver), its events spread over 100 conversations, then all in one.`,
      ...runs.map(
        (r) =>
          `- ${r.conversations} conversation${r.conversations === 1 ? '' : 's'}: ${count(r.delivered)} rows delivered in ${r.seconds.toFixed(1)} s = ${perSecond(r.rate)}; ` +
          `${r.duplicates} duplicates, ${r.notDelivered} not delivered.`,
      ),
      `- One conversation sends to each webhook one delivery at a time (the next waits for the answer and the record), ` +
        `so its rate is about ${settings.throughput.webhooks} × 1 / (POST + record + claim).`,
    ],
  };
}
