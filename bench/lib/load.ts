import { setTimeout as sleep } from 'node:timers/promises';

export interface LoopResult {
  done: number;
  errors: number;
  seconds: number;
  firstError: string | null;
}

/**
 * Closed loop: `concurrency` workers call `job` back to back until `durationMs` has passed.
 * Throughput benchmarks use it: the rate is whatever the system under test sustains.
 */
export async function closedLoop(concurrency: number, durationMs: number, job: (i: number) => Promise<void>): Promise<LoopResult> {
  const start = performance.now();
  const deadline = start + durationMs;
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | null = null;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        await job(next++);
        done++;
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done, errors, firstError, seconds: (performance.now() - start) / 1000 };
}

export interface RateResult {
  started: number;
  errors: number;
  firstError: string | null;
  /** Calls per second actually started (the target rate, unless this process fell behind). */
  achievedRate: number;
}

/**
 * Open loop at a fixed rate: starts `job` ratePerSecond times a second for `durationMs`, whether or
 * not earlier calls have finished (a slow server does not slow the visitors down), then waits for
 * every call to settle. Calls are started from a 1 ms timer, a few at a time when it fires late.
 */
export async function fixedRate(ratePerSecond: number, durationMs: number, job: (i: number) => Promise<void>): Promise<RateResult> {
  const start = performance.now();
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const running: Promise<void>[] = [];
  let started = 0;
  let errors = 0;
  let firstError: string | null = null;
  while (started < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * ratePerSecond) + 1);
    while (started < due) {
      running.push(
        job(started++).catch((err: unknown) => {
          errors++;
          firstError ??= (err as Error).message;
        }),
      );
    }
    await sleep(1);
  }
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(running);
  return { started, errors, firstError, achievedRate: started / Math.max(elapsed, 1e-9) };
}

/** Polls `condition` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await condition()) return true;
    await sleep(everyMs);
  }
  return condition();
}
