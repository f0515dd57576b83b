import { QueryTypes } from 'sequelize';
import { io, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../support/server.js';

const WEBHOOKS = 50;

/**
 * A burst of concurrent attempt recordings (one event, fifty webhooks) must not stall the
 * database layer: on SQLite, writers that wait for the single write lock inside the libuv thread
 * pool (4 threads) can starve the one that holds it.
 */
describe.each(dialects)('one event fanned out to %s webhooks', (dialect) => {
  let server: TestServer;
  let receiver: Receiver;
  let socket: Socket;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startTestServer(dialect);
    for (let i = 0; i < WEBHOOKS; i++) {
      const res = await fetch(`${server.url}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `hook ${i}`, url: `${receiver.url}?n=${i}`, events: ['message.received'] }),
      });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    socket?.disconnect();
    await server?.stop();
    await receiver?.close();
  });

  it(`delivers to all ${WEBHOOKS} and records every attempt within 5 s, while the chat keeps answering`, async () => {
    socket = io(`${server.url}/widget`, { transports: ['websocket'], forceNew: true });
    const started = Date.now();
    expect(await socket.timeout(5000).emitWithAck('message:send', { content: 'burst' })).toMatchObject({ ok: true });
    await receiver.waitFor(WEBHOOKS, 5000);
    // The chat is not held up by the burst of recordings.
    const t = Date.now();
    expect(await socket.timeout(5000).emitWithAck('message:send', { content: 'during the burst' })).toMatchObject({ ok: true });
    const secondAckMs = Date.now() - t;
    const delivered = async () =>
      Number(
        (await server.server.sequelize.query<{ n: number | string }>(
          `SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'delivered'`,
          { type: QueryTypes.SELECT },
        ))[0]!.n,
      );
    while ((await delivered()) < WEBHOOKS * 2 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
    expect({ delivered: await delivered(), withinMs: 5000 }).toEqual({ delivered: WEBHOOKS * 2, withinMs: 5000 });
    expect(secondAckMs).toBeLessThan(2000);
  });
});
