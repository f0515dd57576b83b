import { io, type Socket } from 'socket.io-client';
import { fuzzRest, type FuzzFailure } from '../abuse/fuzz/rest.js';
import { fingerprint } from '../abuse/fuzz/snapshot.js';
import { fuzzSocket } from '../abuse/fuzz/sockets.js';
import { dialects, type TestDialect } from '../support/databases.js';
import { startReceiver } from '../support/receiver.js';
import { startTestServer, TEST_API_KEY } from '../support/server.js';

export interface FuzzFigures {
  target: string;
  dialect: TestDialect;
  cases: number;
  refused: number;
  failures: FuzzFailure[];
}

function connect(url: string, auth: Record<string, unknown> = {}): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/**
 * The table-driven fuzz of test/abuse, run against an in-process server per dialect for
 * `npm run chaos`: the REST API and both Socket.IO namespaces, with the same seeds as the tests
 * unless `seed` moves them.
 */
export async function fuzzEverything(options: { restCases: number; socketCases: number; seed?: number }): Promise<FuzzFigures[]> {
  const figures: FuzzFigures[] = [];
  const seed = options.seed ?? 0;
  for (const dialect of dialects) {
    const receiver = await startReceiver();
    const server = await startTestServer(dialect, { WIDGET_MESSAGES_PER_MINUTE: '100000', WIDGET_CONVERSATIONS_PER_HOUR: '100000' });
    const sockets: Socket[] = [];
    const track = async (p: Promise<Socket>) => {
      const s = await p;
      sockets.push(s);
      return s;
    };
    try {
      const rest = await fuzzRest({
        baseUrl: server.url,
        apiKey: TEST_API_KEY,
        seed: 0x5eed1 + seed,
        cases: options.restCases,
        receiverUrl: receiver.url,
        snapshot: fingerprint(server.server.sequelize, { full: ['webhooks', 'api_keys'], appendOnly: ['webhook_deliveries', 'webhook_delivery_attempts'] }),
      });
      figures.push({ target: 'REST API', dialect, cases: rest.cases, refused: rest.refused, failures: rest.failures });

      const snapshot = fingerprint(server.server.sequelize, { growing: ['visitors', 'conversations', 'messages'], appendOnly: ['webhook_deliveries'], drained: ['webhook_events'] });
      const widget = () => track(connect(`${server.url}/widget`));
      const w = await fuzzSocket({
        socket: await widget(),
        reconnect: widget,
        seed: 0xa11ce + seed,
        cases: options.socketCases,
        snapshot,
        events: {
          'conversation:start': { name: '"Ann"', email: '"ann@example.com"', phone: '"+1 555 0100"', current_url: '"https://example.com/pricing"' },
          'message:send': { content: '"Hello"', current_url: '"https://example.com/pricing"' },
          typing: { is_typing: 'true' },
          'conversation:close': {},
        },
      });
      figures.push({ target: '/widget', dialect, cases: w.cases, refused: w.refused, failures: w.failures });

      const visitor = await widget();
      const started = (await visitor.timeout(5000).emitWithAck('message:send', { content: 'hi' })) as { conversation_id?: number };
      const id = String(started.conversation_id ?? 1);
      const agent = () => track(connect(`${server.url}/agent`, { apiKey: TEST_API_KEY }));
      const a = await fuzzSocket({
        socket: await agent(),
        reconnect: agent,
        seed: 0xc0ffee + seed,
        cases: options.socketCases,
        snapshot,
        events: {
          'conversations:list': { status: '"open"' },
          'conversation:messages': { conversation_id: id, before_id: '1000', limit: '10' },
          'message:send': { conversation_id: id, content: '"How can I help?"', admin_name: '"Ada"' },
          'conversation:close': { conversation_id: id },
          typing: { conversation_id: id, is_typing: 'true' },
        },
      });
      figures.push({ target: '/agent', dialect, cases: a.cases, refused: a.refused, failures: a.failures });
    } finally {
      for (const s of sockets) s.disconnect();
      await server.stop();
      await receiver.close();
    }
  }
  return figures;
}
