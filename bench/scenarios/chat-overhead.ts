import type { Socket } from 'socket.io-client';
import { createWebhook, chatEvents } from '../lib/api.js';
import { fixedRate } from '../lib/load.js';
import { startServerProcess } from '../lib/server-process.js';
import { summarize, type Summary } from '../lib/stats.js';
import { connectVisitors, sendMessage } from '../lib/visitors.js';
import { ms, percent, perSecond, ratio } from '../lib/format.js';
import type { PoolStats } from '../lib/pool-sampler.js';
import { perUnit } from '../lib/sql-counter.js';
import type { BenchContext } from '../lib/context.js';
import type { ScenarioResult } from '../lib/result.js';

type Condition = 'off' | 'on';

/**
 * 1. Chat overhead: visitors over real Socket.IO send message:send at a fixed rate to the server
 * (in its own process), with no webhooks, then with 10 subscribed webhooks of which one hangs until
 * the timeout and one answers 500. Conditions alternate over fresh servers (off, on, off, on...).
 */
export async function chatOverhead(ctx: BenchContext): Promise<ScenarioResult> {
  const { settings, receiver, log } = ctx;
  const { rounds, phaseSeconds, ratePerSecond, visitors } = settings.chat;
  const samples: Record<Condition, number[]> = { off: [], on: [] };
  const rates: Record<Condition, number[]> = { off: [], on: [] };
  const pools: Record<Condition, PoolStats[]> = { off: [], on: [] };
  const sql: Record<Condition, { total: number; lines: string[] } | null> = { off: null, on: null };
  let receiverCounts = { ok: 0, fail: 0, hang: 0 };
  const errors: string[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const condition of ['off', 'on'] as const) {
      await receiver.reset();
      const phase = await runPhase(ctx, condition);
      samples[condition].push(...phase.latencies);
      for (const e of phase.errors) errors.push(`round ${round + 1}, ${condition === 'on' ? 'with' : 'without'} webhooks: ${e}`);
      rates[condition].push(phase.rate);
      const s = summarize(phase.latencies);
      log(`round ${round + 1}, webhooks ${condition}: ${s.n} acks at ${perSecond(phase.rate)}, p50 ${ms(s.p50)}, p99 ${ms(s.p99)}; ` +
        `pool of ${phase.pool.max} saturated ${percent(phase.pool.saturated)} of the time, up to ${phase.pool.maxWaiting} callers waiting`);
      pools[condition].push(phase.pool);
      sql[condition] = phase.sql;
      if (condition === 'on') {
        const c = await receiver.counts();
        receiverCounts = { ok: receiverCounts.ok + c.ok, fail: receiverCounts.fail + c.fail, hang: receiverCounts.hang + c.hang };
      }
    }
  }
  const off = summarize(samples.off);
  const on = summarize(samples.on);
  const p99Ratio = on.p99 / off.p99;
  const line = (name: string, s: Summary) => `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.mean)} | ${ms(s.max)} |`;
  return {
    rows: [
      {
        id: '1',
        name: 'Chat overhead (message:send ack)',
        figure: `p50 ${ms(on.p50)}, p99 ${ms(on.p99)} with 10 webhooks`,
        baseline: `p50 ${ms(off.p50)}, p99 ${ms(off.p99)} without`,
        result: `p99 ${ratio(p99Ratio)}`,
        target: 'p99 ≤ 1.20×',
        met: p99Ratio <= 1.2,
      },
    ],
    details: [
      `${visitors} visitors (socket.io-client, WebSocket) send ${ratePerSecond} messages/s in all to the server in its own process; ` +
        `${rounds} round(s) of ${phaseSeconds} s per condition, alternating, each on a fresh server and database. ` +
        `Latency is from emit to ack. "With webhooks": 8 answering 200, one hanging until WEBHOOK_TIMEOUT_MS=${settings.chat.webhookTimeoutMs}, ` +
        'one answering 500, all subscribed to every chat event. "Without": the plugin installed with no webhook.',
      '',
      '| condition | acks | p50 | p99 | mean | max |',
      '| --- | --- | --- | --- | --- | --- |',
      line('no webhooks', off),
      line('10 webhooks', on),
      '',
      `Rates achieved: ${rates.off.map(perSecond).join(', ')} (off), ${rates.on.map(perSecond).join(', ')} (on). ` +
        `Connection pool (${pools.off[0]?.max ?? '?'} connections, shared by the chat and the plugin), sampled every 5 ms: saturated ` +
        `${pools.off.map((p) => percent(p.saturated)).join(', ')} of the time without webhooks (at most ${Math.max(0, ...pools.off.map((p) => p.maxWaiting))} callers queued), ` +
        `${pools.on.map((p) => percent(p.saturated)).join(', ')} with them (at most ${Math.max(0, ...pools.on.map((p) => p.maxWaiting))} queued). ` +
        `SQL statements per message sent (last round): ${sql.off?.total.toFixed(1)} without webhooks (${sql.off?.lines.join(', ')}); ` +
        `${sql.on?.total.toFixed(1)} with them (${sql.on?.lines.join(', ')}). ` +
        `Receiver during the "on" phases: ${receiverCounts.ok} POSTs answered 200, ${receiverCounts.fail} answered 500, ${receiverCounts.hang} left hanging.`,
      ...(errors.length ? ['', 'Errors (a failed message:send counts as infinitely slow):', ...errors.map((e) => `- ${e}`)] : []),
    ],
  };
}

async function runPhase({ settings, receiver }: BenchContext, condition: Condition): Promise<{ latencies: number[]; rate: number; errors: string[]; pool: PoolStats; sql: { total: number; lines: string[] } }> {
  const { phaseSeconds, ratePerSecond, visitors: visitorCount, webhookTimeoutMs } = settings.chat;
  const server = await startServerProcess({ WEBHOOK_TIMEOUT_MS: String(webhookTimeoutMs) });
  let visitors: Socket[] = [];
  try {
    if (condition === 'on') {
      for (let i = 0; i < 8; i++) await createWebhook(server.url, { name: `ok ${i}`, url: receiver.url('ok', `chat-${i}`), events: chatEvents, secret: `whsec_bench_${i}` });
      await createWebhook(server.url, { name: 'hanging', url: receiver.url('hang'), events: chatEvents });
      await createWebhook(server.url, { name: 'failing', url: receiver.url('fail'), events: chatEvents });
    }
    visitors = await connectVisitors(server.url, visitorCount);
    // Every visitor opens its conversation (conversation.started), then a warm-up second at the full rate.
    const opened = await Promise.allSettled(visitors.map((v) => sendMessage(v, 'hello')));
    const warmupErrors = opened.filter((r) => r.status === 'rejected').length;
    const send = async (i: number) => {
      await sendMessage(visitors[i % visitors.length]!, `message ${i}: where is my order?`);
    };
    await fixedRate(ratePerSecond, 1000, send);
    await server.pool();
    await server.statements();
    const latencies: number[] = [];
    const result = await fixedRate(ratePerSecond, phaseSeconds * 1000, async (i) => {
      const t0 = performance.now();
      try {
        await send(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        // An error ack is a message the visitor did not get through: infinitely slow, not absent.
        latencies.push(Number.POSITIVE_INFINITY);
        throw err;
      }
    });
    const errors = [
      ...(warmupErrors ? [`${warmupErrors} of ${visitors.length} first messages (conversation start) failed`] : []),
      ...(result.errors ? [`${result.errors} of ${result.started} measured message:send failed (first: ${result.firstError})`] : []),
    ];
    return { latencies, rate: result.achievedRate, errors, pool: await server.pool(), sql: perUnit(await server.statements(), result.started) };
  } finally {
    for (const v of visitors) v.close();
    await server.stop();
  }
}
