import { apiClient } from '../support/api.js';
import { sleep, waitUntil } from '../support/child-server.js';
import { tally, type ScenarioFigures } from '../support/figures.js';
import { startLedger, type LedgerEntry } from '../support/ledger.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';
import { sql } from '../support/sql.js';
import { VisitorLoad } from '../support/visitors.js';

export interface TwoInstanceOptions {
  visitors?: number;
  loadMs?: number;
  /** How long the receiver holds each retry before answering: the window a kill lands in. */
  holdMs?: number;
  redisUrl?: string;
}

/**
 * Two instances on one MariaDB and Redis, both sweeping every second. The receiver fails every
 * first attempt, so each delivery has exactly one retry due; it holds retries in flight before
 * answering 200. Instance A is SIGKILLed while it has retries in flight. 32 visitors write a message
 * every half second: a conversation's deliveries go in its order, one at a time.
 *
 * Per delivery the receiver must answer exactly two attempts: the first (500) and the retry
 * (200). An attempt the kill cut off (the receiver saw the connection close before answering)
 * did not happen for either side and is re-sent after its lease expires; it is counted, not
 * failed. Two answered retries of one delivery mean two sweepers sent the same due attempt.
 */
export async function twoInstances(options: TwoInstanceOptions = {}): Promise<ScenarioFigures> {
  const holdMs = options.holdMs ?? 400;
  const stack = await ChaosStack.create();
  const ledger = await startLedger((_entry, previous) =>
    previous.length === 0 ? { status: 500 } : { status: 200, delayMs: holdMs },
  );
  const problems: string[] = [];
  try {
    const env = {
      REDIS_URL: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      WEBHOOK_RETRY_DELAYS: '1,1,1,1,1,1',
      WEBHOOK_TIMEOUT_MS: '4000',
      WEBHOOK_LEASE_MS: '6000',
      // One receiver: let each instance hold many of its retries in flight at once.
      WEBHOOK_CONCURRENCY_PER_WEBHOOK: '32',
    };
    const a = await stack.server('instance-a', env);
    const b = await stack.server('instance-b', env);
    // One after the other: starting both at once on a fresh database is its own test (concurrent-start).
    await a.start();
    await b.start();
    await apiClient(a.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });

    // Visitors on both instances, in separate loads: A's is stopped once A is dead.
    const prefix = `pair-${Date.now()}`;
    // Many conversations of a few messages each: a conversation's deliveries go one after the other
    // (order per conversation, SPEC §5), each a failed first attempt and a retry a second later.
    const visitors = options.visitors ?? 32;
    const loadA = new VisitorLoad({ urls: [a.url], visitors: Math.ceil(visitors / 2), prefix: `${prefix}-a`, pauseMs: 500 });
    const loadB = new VisitorLoad({ urls: [b.url], visitors: Math.floor(visitors / 2), prefix: `${prefix}-b`, pauseMs: 500 });
    loadA.start();
    loadB.start();
    await sleep(options.loadMs ?? 5000);

    // Kill A while the receiver holds retries that A sent (told apart by their source ports). A's
    // visitors keep writing meanwhile: with them stopped, B's engine (woken by each of its own
    // deliveries) took nearly every retry due and A could hold none for 15 s (1 run in 4).
    let fromA = 0;
    const caught = await waitUntil(() => (fromA = ledger.inFlightFrom(a.localPorts())) >= 2, 15_000, 20);
    if (!caught) problems.push('A never had retries in flight to kill it in the middle of');
    const portsAtKill = a.localPorts();
    const killAt = Date.now();
    const inFlightAtKill = ledger.inFlight();
    await a.kill('SIGKILL');
    const figuresA = await loadA.stop();
    await sleep(1000);
    const figuresB = await loadB.stop();

    const acked = new Map([...figuresA.acked, ...figuresB.acked]);
    const combined = { ...figuresB, sent: figuresA.sent + figuresB.sent, acked, unanswered: figuresA.unanswered + figuresB.unanswered };
    const settled = await waitUntil(async () => {
      if (tally(combined, ledger).lost > 0) return false;
      const [row] = await sql<{ n: number }>(stack.db.url, `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'`);
      return Number(row?.n) === 0;
    }, 120_000, 500);
    const { lostContents, ...counts } = tally(combined, ledger);
    if (!settled) problems.push(`not settled: ${counts.lost} acknowledged messages undelivered (e.g. ${lostContents.slice(0, 3).join(', ')}) or deliveries not all delivered`);

    // Per delivery: attempts by due time (first = the 500, retry = the 200s). An attempt A had in
    // flight when it died is cut off, whatever the receiver did with it: A never heard the answer.
    const killedPorts = portsAtKill;
    const cutOff = (e: LedgerEntry) =>
      e.aborted || (e.arrivedAt < killAt && killedPorts.has(e.remotePort) && e.answeredAt !== null && e.answeredAt >= killAt);
    const byDelivery = new Map<string, LedgerEntry[]>();
    for (const e of ledger.entries) if (e.event === 'message.received') byDelivery.set(e.deliveryId, [...(byDelivery.get(e.deliveryId) ?? []), e]);
    let doubleSent = 0;
    let crashResends = 0;
    let cutByKill = 0;
    for (const [id, entries] of byDelivery) {
      const heard = entries.filter((e) => e.answeredAt !== null && !cutOff(e));
      cutByKill += entries.filter((e) => cutOff(e) && e.status === 200).length;
      const answeredFirst = heard.filter((e) => e.status === 500).length;
      const answeredRetries = heard.filter((e) => e.status === 200);
      if (answeredFirst > 1) {
        doubleSent++;
        problems.push(`delivery ${id}: first attempt sent and answered ${answeredFirst} times`);
      }
      if (answeredRetries.length > 1) {
        // A retry A heard answered just before it died, but never recorded, is re-sent: at-least-once.
        const first = answeredRetries[0]!;
        if (killedPorts.has(first.remotePort) && first.answeredAt! >= killAt - 250) crashResends++;
        else {
          doubleSent++;
          problems.push(`delivery ${id}: retry answered ${answeredRetries.length} times (at ${answeredRetries.map((e) => e.answeredAt! - killAt).join(', ')} ms from the kill)`);
        }
      }
    }

    // The database agrees: no attempt number was recorded twice for one delivery.
    const [dup] = await sql<{ n: number }>(
      stack.db.url,
      `SELECT COUNT(*) AS n FROM (SELECT delivery_row_id, attempt_number FROM webhook_delivery_attempts
         GROUP BY delivery_row_id, attempt_number HAVING COUNT(*) > 1) d`,
    );
    if (Number(dup?.n) > 0) problems.push(`${dup?.n} (delivery, attempt number) pairs recorded twice`);
    if (!b.running) problems.push('instance B died');

    return {
      scenario: 'Two instances, one killed mid-sweep',
      ...counts,
      faults: 1,
      details: {
        deliveries: byDelivery.size,
        'retries in flight at the kill': inFlightAtKill,
        'of which sent by the killed instance': fromA,
        'retries cut off by the kill (re-sent after the lease)': cutByKill,
        'receiver-side duplicates': counts.duplicates,
        'retries answered just before the kill and re-sent': crashResends,
        'due attempts sent twice': doubleSent,
      },
      problems,
    };
  } finally {
    await ledger.close();
    await stack.dispose();
  }
}
