import { apiClient } from '../support/api.js';
import { sleep, waitUntil } from '../support/child-server.js';
import { tally, type ScenarioFigures } from '../support/figures.js';
import { startLedger } from '../support/ledger.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';
import { startTcpProxy, type CutMode } from '../support/tcp-proxy.js';
import { VisitorLoad } from '../support/visitors.js';

export interface OutageOptions {
  /** How long MariaDB stays unreachable (the issue asks for 10-30 s). */
  outageMs?: number;
  mode?: CutMode;
  visitors?: number;
  /** An error ack must come within this long during the outage (no hang). */
  maxErrorAckMs?: number;
}

/**
 * Database outage: the server reaches MariaDB through a TCP proxy that the scenario cuts for
 * `outageMs`. Before the cut the receiver fails, so retries are pending across the outage.
 * The server must stay up, say so on /healthz, answer visitors with an error ack rather than
 * hang, and deliver everything it acknowledged once the database is back.
 */
export async function databaseOutage(options: OutageOptions = {}): Promise<ScenarioFigures> {
  const outageMs = options.outageMs ?? 12_000;
  const mode = options.mode ?? 'refuse';
  const maxErrorAckMs = options.maxErrorAckMs ?? 15_000;
  const stack = await ChaosStack.create();
  const url = new URL(stack.db.url);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 3306) });
  const ledger = await startLedger();
  const problems: string[] = [];
  try {
    url.host = `127.0.0.1:${proxy.port}`;
    const server = await stack.server(`outage-${mode}`, { DATABASE_URL: url.toString() });
    await server.start();
    await apiClient(server.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });

    const load = new VisitorLoad({ urls: [server.url], visitors: options.visitors ?? 8, prefix: `outage-${Date.now()}`, ackTimeoutMs: 30_000, pauseMs: 20 });
    load.start();
    await sleep(1500);
    // Retries owed across the outage: the receiver refuses everything for a moment before the cut.
    ledger.respond(() => ({ status: 503 }));
    await sleep(1500);

    const cutAt = Date.now();
    await proxy.cut(mode);
    ledger.respond(() => ({ status: 200 }));
    let sawDegraded = false;
    let healthzFailures = 0;
    const healthDuringOutage: number[] = [];
    while (Date.now() - cutAt < outageMs) {
      const started = Date.now();
      try {
        const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(8000) });
        const body = (await res.json()) as { database?: string };
        if (res.status === 503 && body.database === 'down') sawDegraded = true;
        healthDuringOutage.push(Date.now() - started);
      } catch {
        healthzFailures++;
      }
      if (!server.running) break;
      await sleep(500);
    }
    const restoredAt = Date.now();
    await proxy.restore();
    if (!server.running) problems.push(`the server exited during the outage:\n${server.tail(15)}`);
    if (!sawDegraded) problems.push('/healthz never reported { database: "down" } with 503 during the outage');
    if (healthzFailures > 0) problems.push(`/healthz failed to answer ${healthzFailures} times during the outage`);

    const healthy = await waitUntil(async () => {
      try {
        const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    }, 20_000, 250);
    const recoveredMs = Date.now() - restoredAt;
    if (!healthy) problems.push('/healthz did not return to 200 within 20 s of the database coming back');
    await sleep(2000);
    const figures = await load.stop();

    const outageAcks = figures.acks.filter((a) => a.at > cutAt + 100 && a.at - a.ms < restoredAt);
    const errorAcks = outageAcks.filter((a) => !a.ok);
    const slowest = Math.max(0, ...outageAcks.map((a) => a.ms));
    if (errorAcks.length === 0) problems.push('no visitor got an error ack during the outage');
    if (slowest > maxErrorAckMs) problems.push(`an ack during the outage took ${slowest} ms (limit ${maxErrorAckMs})`);
    if (figures.unanswered > 0) problems.push(`${figures.unanswered} sends were never answered (a hang, not an error ack)`);

    const settled = await waitUntil(() => tally(figures, ledger).lost === 0, 45_000, 250);
    const { lostContents, ...counts } = tally(figures, ledger);
    if (!settled) problems.push(`${counts.lost} acknowledged messages never delivered, e.g. ${lostContents.slice(0, 5).join(', ')}`);

    return {
      scenario: `Database outage (${mode}, ${Math.round(outageMs / 1000)} s)`,
      ...counts,
      faults: 1,
      details: {
        'error acks during outage': errorAcks.length,
        'error codes': [...new Set(errorAcks.map((a) => a.code))].join(',') || 'none',
        'slowest ack during outage ms': slowest,
        'slowest /healthz during outage ms': Math.max(0, ...healthDuringOutage),
        'healthy again after ms': recoveredMs,
        'unanswered sends': figures.unanswered,
      },
      problems,
    };
  } finally {
    await ledger.close();
    await proxy.close();
    await stack.dispose();
  }
}
