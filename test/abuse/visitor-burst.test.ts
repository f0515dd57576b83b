import { io, type Socket } from 'socket.io-client';
import { dialects } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const VISITORS = 24;

/**
 * A burst of brand-new visitors (a campaign link, a bot wave) all writing their first message at
 * the same moment: each starts a visitor and a conversation. Every one must be accepted; on
 * MariaDB, gap locks taken by "find my open conversation FOR UPDATE" under REPEATABLE READ make
 * such inserts deadlock each other.
 */
describe.each(dialects)('a burst of new visitors (%s)', (dialect) => {
  let server: TestServer;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    server = await startTestServer(dialect, { WIDGET_CONVERSATIONS_PER_HOUR: '1000', WIDGET_MESSAGES_PER_MINUTE: '1000' });
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await server?.stop();
  });

  it(`accepts ${VISITORS} first messages sent at the same moment`, async () => {
    for (let i = 0; i < VISITORS; i++) {
      const socket = io(`${server.url}/widget`, { transports: ['websocket'], forceNew: true, reconnection: false });
      sockets.push(socket);
      await new Promise((resolve) => socket.once('session', resolve));
    }
    for (let round = 0; round < 3; round++) {
      const acks = (await Promise.all(
        sockets.map((s, i) => s.timeout(10_000).emitWithAck(round === 1 ? 'conversation:close' : 'message:send', round === 1 ? {} : { content: `hello ${round}.${i}` })),
      )) as { ok: boolean; error?: { code: string } }[];
      expect({ round, errors: acks.filter((a) => !a.ok).map((a) => a.error?.code) }).toEqual({ round, errors: [] });
    }
  });
});
