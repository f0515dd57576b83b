import { apiClient } from '../support/api.js';
import { sleep, waitUntil } from '../support/child-server.js';
import { tally, type ScenarioFigures } from '../support/figures.js';
import { startLedger } from '../support/ledger.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';
import { sql } from '../support/sql.js';
import { VisitorLoad } from '../support/visitors.js';

export interface SigkillOptions {
  kills?: number;
  visitors?: number;
  /** Load between kills, in ms (each gap is drawn between this and twice it). */
  gapMs?: number;
  /** How long to wait for the last deliveries after the load stops. */
  settleMs?: number;
}

/**
 * SIGKILL under load: visitors send continuously while the server is killed with SIGKILL and
 * started again on the same database and port, several times. Every message whose ack a visitor
 * got must reach the receiver at least once; redeliveries are counted.
 */
export async function sigkillUnderLoad(options: SigkillOptions = {}): Promise<ScenarioFigures> {
  const kills = options.kills ?? 3;
  const gapMs = options.gapMs ?? 1500;
  const stack = await ChaosStack.create();
  const ledger = await startLedger();
  const problems: string[] = [];
  try {
    const server = await stack.server('sigkill');
    await server.start();
    await apiClient(server.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });

    const load = new VisitorLoad({ urls: [server.url], visitors: options.visitors ?? 12, prefix: `kill-${Date.now()}`, ackTimeoutMs: 10_000 });
    load.start();
    const loadStarted = Date.now();
    let restartMs = 0;
    for (let k = 0; k < kills; k++) {
      await sleep(gapMs + Math.floor(Math.random() * gapMs));
      const exit = await server.kill('SIGKILL');
      if (exit.signal !== 'SIGKILL') problems.push(`kill ${k + 1}: process ended with ${JSON.stringify(exit)} instead of SIGKILL`);
      const started = Date.now();
      await server.start();
      restartMs = Math.max(restartMs, Date.now() - started);
    }
    await sleep(gapMs);
    const figures = await load.stop();
    const loadSeconds = (Date.now() - loadStarted) / 1000;

    const settleMs = options.settleMs ?? 45_000;
    // Until every acked message is delivered and no row is left pending (rows a killed process had
    // leased go out again when the lease ends), so the duplicates counted are all there will be.
    const settled = await waitUntil(async () => {
      if (tally(figures, ledger).lost > 0) return false;
      const [pending] = await sql<{ n: number }>(stack.db.url, `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`);
      return Number(pending?.n) === 0;
    }, settleMs, 250);
    const { lostContents, ...counts } = tally(figures, ledger);
    if (!settled) problems.push(`not settled within ${settleMs / 1000} s: ${counts.lost} acknowledged messages undelivered (e.g. ${lostContents.slice(0, 5).join(', ')}) or deliveries still pending`);

    // Every acknowledged message is a row, and no delivery is left behind.
    const [stored] = await sql<{ n: number }>(stack.db.url, 'SELECT COUNT(*) AS n FROM messages');
    const statuses = await sql<{ status: string; n: number }>(stack.db.url, 'SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status');
    const byStatus = Object.fromEntries(statuses.map((r) => [r.status, Number(r.n)]));
    if (Number(stored?.n) < counts.acknowledged) problems.push(`only ${stored?.n} messages stored for ${counts.acknowledged} acks`);
    const ackedIds = new Set(figures.acked.values());
    if (ackedIds.size !== counts.acknowledged) problems.push('two acks carried the same message_id');

    return {
      scenario: 'SIGKILL under load',
      ...counts,
      faults: kills,
      details: {
        visitors: options.visitors ?? 12,
        'load seconds (restarts included)': Math.round(loadSeconds),
        'acks per second': Math.round(counts.acknowledged / loadSeconds),
        'unanswered sends (in flight at a kill)': figures.unanswered,
        'of which stored and delivered anyway': figures.unansweredContents.filter((c) => ledger.deliveredContents('message.received').has(c)).length,
        'error acks': Object.values(figures.errors).reduce((a, b) => a + b, 0),
        'error codes': Object.entries(figures.errors).map(([code, n]) => `${code}×${n}`).join(',') || 'none',
        'longest restart ms': restartMs,
        'deliveries pending at end': byStatus.pending ?? 0,
        'deliveries failed at end': byStatus.failed ?? 0,
      },
      problems,
    };
  } finally {
    await ledger.close();
    await stack.dispose();
  }
}
