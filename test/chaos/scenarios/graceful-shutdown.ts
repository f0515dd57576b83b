import { apiClient } from '../support/api.js';
import { sleep, waitUntil } from '../support/child-server.js';
import { tally, type ScenarioFigures } from '../support/figures.js';
import { startLedger } from '../support/ledger.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';
import { sql } from '../support/sql.js';
import { VisitorLoad } from '../support/visitors.js';

export interface ShutdownOptions {
  visitors?: number;
  /** How long the receiver takes to answer: attempts are in flight when SIGTERM lands. */
  receiverDelayMs?: number;
}

/**
 * Graceful shutdown: SIGTERM during load while the receiver is slow, so attempts are in flight.
 * The process must exit 0 before its 15 s force-exit, leave no pending row leased beyond the
 * normal lease (in-flight attempts are finished or handed back), and a restart delivers the rest.
 */
export async function gracefulShutdown(options: ShutdownOptions = {}): Promise<ScenarioFigures> {
  const stack = await ChaosStack.create();
  let delay = options.receiverDelayMs ?? 500;
  const ledger = await startLedger(() => ({ status: 200, delayMs: delay }));
  const problems: string[] = [];
  const leaseMs = 30_000;
  try {
    // A long lease: a row left leased by a careless shutdown would sit out those 30 s, and show.
    const server = await stack.server('shutdown', { WEBHOOK_LEASE_MS: String(leaseMs), WEBHOOK_TIMEOUT_MS: '5000', WEBHOOK_CONCURRENCY_PER_WEBHOOK: '64' });
    await server.start();
    await apiClient(server.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });

    const load = new VisitorLoad({ urls: [server.url], visitors: options.visitors ?? 10, prefix: `term-${Date.now()}`, ackTimeoutMs: 10_000 });
    load.start();
    await sleep(3000);
    const inFlightAtTerm = ledger.inFlight();
    const termAt = Date.now();
    await server.kill('SIGTERM');
    const exit = await server.exited(20_000);
    const shutdownMs = Date.now() - termAt;
    const figures = await load.stop();
    if (exit.code !== 0) problems.push(`exit ${JSON.stringify(exit)} instead of code 0:\n${server.tail(10)}`);

    const leased = await sql<{ n: number }>(
      stack.db.url,
      `SELECT COUNT(*) AS n FROM webhook_deliveries
        WHERE status = 'pending' AND lease_expires_at IS NOT NULL AND lease_expires_at > ?`,
      [new Date(Date.now() + 1000)],
    );
    const stuck = Number(leased[0]?.n ?? 0);
    if (stuck > 0) problems.push(`${stuck} pending deliveries still leased after a clean shutdown (they would wait out the ${leaseMs / 1000} s lease)`);
    const [pending] = await sql<{ n: number }>(stack.db.url, `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'pending'`);

    // Started again, the server owes only what was handed back, and sends it without waiting out a lease.
    // The receiver answers at once now: a conversation's deliveries go one after another (SPEC §5
    // order), so ~50 owed per conversation at 500 ms each would take as long as the lease this
    // bound is there to catch.
    delay = 0;
    const restartAt = Date.now();
    await server.start();
    const settled = await waitUntil(() => tally(figures, ledger).lost === 0, leaseMs - 5000, 200);
    const { lostContents, ...counts } = tally(figures, ledger);
    if (!settled) problems.push(`${counts.lost} acknowledged messages not delivered within ${(leaseMs - 5000) / 1000} s of the restart, e.g. ${lostContents.slice(0, 3).join(', ')}`);
    const settledMs = Date.now() - restartAt;
    // Stored while shutting down, yet never acknowledged: the widget's outbox resends such a
    // message after reconnecting, and the conversation shows it twice.
    const storedUnacked = figures.unansweredContents.length
      ? Number((await sql<{ n: number }>(stack.db.url, 'SELECT COUNT(*) AS n FROM messages WHERE content IN (?)', [figures.unansweredContents]))[0]?.n ?? 0)
      : 0;
    if (storedUnacked > 0) problems.push(`${storedUnacked} messages were stored during the shutdown but never acknowledged`);
    await server.kill('SIGTERM');
    await server.exited(20_000);

    return {
      scenario: 'Graceful shutdown (SIGTERM under load)',
      ...counts,
      faults: 1,
      details: {
        'attempts in flight at SIGTERM': inFlightAtTerm,
        'shutdown ms': shutdownMs,
        'pending at exit': Number(pending?.n ?? 0),
        'left leased at exit': stuck,
        'all delivered after restart ms': settledMs,
        'error acks': Object.values(figures.errors).reduce((a, b) => a + b, 0),
        'error codes': Object.entries(figures.errors).map(([code, n]) => `${code}×${n}`).join(',') || 'none',
        'sends left unanswered by the shutdown': figures.unanswered,
        'of which stored anyway': storedUnacked,
      },
      problems,
    };
  } finally {
    await ledger.close();
    await stack.dispose();
  }
}
