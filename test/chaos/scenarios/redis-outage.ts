import { sleep, waitUntil } from '../support/child-server.js';
import { apiClient } from '../support/api.js';
import { tally, type ScenarioFigures } from '../support/figures.js';
import { startLedger } from '../support/ledger.js';
import { RedisChild } from '../support/redis-server.js';
import { ChaosStack, TEST_API_KEY } from '../support/stack.js';
import { VisitorLoad } from '../support/visitors.js';

export interface RedisOutageOptions {
  visitors?: number;
  outageMs?: number;
}

const WARNING = 'Redis unavailable: rate limits and sign-outs fall back to this instance until it returns';
const RECOVERED = 'Redis is back: rate limits and sign-outs are shared again';

/**
 * Two instances on one MariaDB and a Redis of their own, visitors chatting on both; Redis is
 * killed mid-chat and started again. Every acknowledged message must be stored and delivered,
 * the chat must keep answering during the outage, each instance logs one warning when Redis goes
 * and one line when it is back, and the limits count in Redis again afterwards.
 */
export async function redisOutage(options: RedisOutageOptions = {}): Promise<ScenarioFigures> {
  const outageMs = options.outageMs ?? 5000;
  const redis = await RedisChild.create();
  const stack = await ChaosStack.create();
  const ledger = await startLedger();
  const problems: string[] = [];
  try {
    const env = { REDIS_URL: redis.url, WIDGET_MESSAGES_PER_MINUTE: '100000' };
    const a = await stack.server('instance-a', env);
    const b = await stack.server('instance-b', env);
    await a.start();
    await b.start();
    await apiClient(a.url, TEST_API_KEY).createWebhook({ name: 'ledger', url: ledger.url, events: ['message.received'] });

    const load = new VisitorLoad({ urls: [a.url, b.url], visitors: options.visitors ?? 8, prefix: `redis-outage-${Date.now()}`, pauseMs: 50 });
    load.start();
    await sleep(2000);
    const downAt = Date.now();
    await redis.stop();
    await sleep(outageMs);
    const upAt = Date.now();
    await redis.start();
    // Limits count in Redis again once the instances reconnect (their keys reappear).
    const sharedAgain = await waitUntil(() => redis.cli('--scan', '--pattern', '*widget-messages*') !== '', 15_000, 200);
    if (!sharedAgain) problems.push('no rate-limit key in Redis after it came back: the limits stayed per instance');
    // So do the webhook's pause, window and cap (the delivery workers' own connections reconnect too).
    const webhooksShared = await waitUntil(() => redis.cli('--scan', '--pattern', '*:webhook:*') !== '', 15_000, 200);
    if (!webhooksShared) problems.push('no webhook limit key in Redis after it came back: pauses and caps stayed per instance');
    await sleep(1000);
    const figures = await load.stop();

    const settled = await waitUntil(() => tally(figures, ledger).lost === 0, 60_000, 500);
    const { lostContents, ...counts } = tally(figures, ledger);
    if (!settled) problems.push(`${counts.lost} acknowledged messages never delivered (e.g. ${lostContents.slice(0, 3).join(', ')})`);
    const okDuringOutage = figures.acks.filter((ack) => ack.ok && ack.at > downAt + 200 && ack.at < upAt).length;
    if (okDuringOutage === 0) problems.push('no message was acknowledged while Redis was down');
    const failedAcks = Object.values(figures.errors).reduce((n, c) => n + c, 0);
    if (failedAcks > 0) problems.push(`error acks: ${JSON.stringify(figures.errors)}`);

    const lines = (text: string) => [a, b].map((s) => s.logEntries().filter((e) => e.msg === text).length);
    const warnings = lines(WARNING);
    const recoveries = lines(RECOVERED);
    if (warnings.some((n) => n !== 1)) problems.push(`warning lines per instance ${warnings.join(', ')} (expected 1 each)`);
    if (recoveries.some((n) => n !== 1)) problems.push(`recovery lines per instance ${recoveries.join(', ')} (expected 1 each)`);
    for (const s of [a, b]) if (!s.running) problems.push(`${s.logFile} instance died`);

    return {
      scenario: 'Redis killed and restarted mid-chat',
      ...counts,
      faults: 1,
      details: {
        'outage ms': upAt - downAt,
        'acks during the outage': okDuringOutage,
        'error acks': failedAcks,
        unanswered: figures.unanswered,
        'longest ack ms': figures.maxAckMs,
        'warning lines per instance': warnings.join('/'),
        'recovery lines per instance': recoveries.join('/'),
      },
      problems,
    };
  } finally {
    await ledger.close();
    await stack.dispose();
    await redis.stop();
  }
}
