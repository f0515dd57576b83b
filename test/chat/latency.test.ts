import type { Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';
import { connectAgent, connectWidget, ok } from './clients.js';

const MESSAGES = 200;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * `message:send` ack latency through the whole server (Socket.IO, validation, the transaction
 * with the webhooks plugin's outbox listener, commit), one visitor sending back to back while an
 * agent receives every push. Printed for the record; the bound only catches a pathology.
 */
describe.each(dialects)('message:send ack latency on %s', (dialect) => {
  let t: TestServer;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    t = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: String(MESSAGES * 2) });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.stop();
  });

  it(`acks ${MESSAGES} messages with a sane p99`, async () => {
    const agent = await connectAgent(t.url, { apiKey: TEST_API_KEY });
    const { socket: visitor } = await connectWidget(t.url);
    sockets.push(agent, visitor);
    let pushes = 0;
    agent.on('message', () => pushes++);
    await ok(visitor, 'message:send', { content: 'warm-up' });

    const visitorMs: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const started = performance.now();
      await ok(visitor, 'message:send', { content: `message ${i} ${'lorem ipsum '.repeat(10)}` });
      visitorMs.push(performance.now() - started);
    }
    const id = (await ok(visitor, 'conversation:start', {})).conversation_id;
    const agentMs: number[] = [];
    for (let i = 0; i < MESSAGES / 4; i++) {
      const started = performance.now();
      await ok(agent, 'message:send', { conversation_id: id, content: `reply ${i}` });
      agentMs.push(performance.now() - started);
    }

    const row = (name: string, ms: number[]) => {
      const sorted = [...ms].sort((x, y) => x - y);
      return `${name.padEnd(22)} n=${String(ms.length).padStart(3)}  p50=${percentile(sorted, 50).toFixed(1)} ms  p99=${percentile(sorted, 99).toFixed(1)} ms  max=${sorted.at(-1)!.toFixed(1)} ms`;
    };
    console.log(`message:send ack latency on ${dialect}\n${row('visitor message:send', visitorMs)}\n${row('agent message:send', agentMs)}`);

    expect(pushes).toBeGreaterThanOrEqual(MESSAGES + 1);
    expect(percentile([...visitorMs].sort((x, y) => x - y), 99)).toBeLessThan(1000);
  });
});
