/**
 * How long and how big each benchmark runs. The full run fits in 10 minutes on a 2-core machine,
 * --quick in 2; quick keeps every comparison but measures fewer samples and a smaller big table.
 */
export interface Settings {
  quick: boolean;
  chat: { rounds: number; phaseSeconds: number; ratePerSecond: number; visitors: number; webhookTimeoutMs: number };
  throughput: { durableSeconds: number; ceilingSeconds: number; naiveSeconds: number; concurrency: number; webhooks: number };
  latency: { seconds: number; ratePerSecond: number };
  sweeper: { small: number; large: number; due: number; repeats: number };
  backlog: { rows: number };
  memory: { sockets: number };
}

export function settingsFor(quick: boolean): Settings {
  return {
    quick,
    // Off and on alternate (off, on, off, on...), each on a fresh server, so drift of a noisy machine hits both.
    chat: { rounds: quick ? 1 : 2, phaseSeconds: quick ? 5 : 12, ratePerSecond: 200, visitors: 50, webhookTimeoutMs: 1000 },
    // 64 in flight is the engine's default WEBHOOK_CONCURRENCY; the ceiling and the naive queue get the same.
    throughput: { durableSeconds: quick ? 6 : 30, ceilingSeconds: quick ? 4 : 10, naiveSeconds: quick ? 4 : 10, concurrency: 64, webhooks: 8 },
    latency: { seconds: quick ? 4 : 15, ratePerSecond: 500 },
    sweeper: { small: 10_000, large: quick ? 200_000 : 1_000_000, due: 1000, repeats: quick ? 5 : 9 },
    backlog: { rows: quick ? 5_000 : 10_000 },
    memory: { sockets: quick ? 1_000 : 5_000 },
  };
}
