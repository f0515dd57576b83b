import type { Socket } from 'socket.io-client';
import { connectAgent, connectWidget, ok } from '../../chat/clients.js';
import type { TestDialect } from '../../support/databases.js';
import { startReceiver, type Receiver } from '../../support/receiver.js';
import { startTestServer, TEST_API_KEY, type TestServer } from '../../support/server.js';
import { apiClient, type ApiClient } from '../api/helpers.js';
import { fakeDiscord, type FakeDiscord } from './fake-discord.js';
import { fakeSlack, type FakeSlack } from './fake-slack.js';

export const chatEvents = ['conversation.started', 'message.received', 'message.sent', 'conversation.closed'] as const;

/** A whole server (real database, engine, sockets, REST API) with a fake Slack and a fake Discord on 127.0.0.1. */
export interface TargetRig {
  t: TestServer;
  api: ApiClient;
  slack: FakeSlack;
  discord: FakeDiscord;
  slackReceiver: Receiver;
  discordReceiver: Receiver;
  /** Creates a webhook through POST /api/v1/webhooks; `query` picks the fake's scenario. */
  createWebhook(format: 'slack' | 'discord', options?: { query?: string; events?: readonly string[]; name?: string }): Promise<number>;
  visitor(): Promise<Socket>;
  agent(): Promise<Socket>;
  /** Polls GET /api/v1/webhooks/{id} until `check` holds (5 s at most). */
  waitForWebhook(id: number, check: (webhook: any) => boolean): Promise<any>;
  deliveries(id: number): Promise<any[]>;
  /**
   * Before each test: every webhook disabled (PUT is_active:false) so the test hears only its own,
   * both receivers and fakes cleared and back to normal. Not DELETE: on MariaDB a delete racing the
   * engine's recording of an attempt can deadlock (see delete-race.test.ts).
   */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTargetRig(dialect: TestDialect, env: Record<string, string> = {}, discordLimit: { limit?: number; windowMs?: number } = {}): Promise<TargetRig> {
  const slack = fakeSlack();
  const discord = fakeDiscord(discordLimit);
  const slackReceiver = await startReceiver(slack.responder);
  const discordReceiver = await startReceiver(discord.responder);
  const t = await startTestServer(dialect, {
    WEBHOOK_RETRY_DELAYS: '0.2,0.2,0.2',
    // Every second: retries (0.2 s) go out at the next tick instead of the default 15 s one.
    WEBHOOK_SWEEP_CRON: '* * * * * *',
    WEBHOOK_TIMEOUT_MS: '3000',
    WIDGET_MESSAGES_PER_MINUTE: '1000',
    // The pacing tests time requests in milliseconds against fakes in this process; under a loaded
    // full suite a delivery thread once let a third request into Discord's 2-per-500 ms bucket
    // (not understood yet; see the closing note of issue 7). The limiter itself is the same class.
    WEBHOOK_WORKER: 'inline',
    ...env,
  });
  const api = apiClient(t.url);
  const sockets: Socket[] = [];
  let n = 0;

  const rig: TargetRig = {
    t,
    api,
    slack,
    discord,
    slackReceiver,
    discordReceiver,
    createWebhook: async (format, options = {}) => {
      const receiver = format === 'slack' ? slackReceiver : discordReceiver;
      const res = await api.post('/webhooks', {
        name: options.name ?? `${format} ${++n}`,
        url: `${receiver.url}?n=${n}${options.query ? `&${options.query}` : ''}`,
        events: options.events ?? chatEvents,
        format,
      });
      expect(res.status).toBe(201);
      return res.body.data.id as number;
    },
    visitor: async () => {
      const { socket } = await connectWidget(t.url);
      sockets.push(socket);
      return socket;
    },
    agent: async () => {
      const socket = await connectAgent(t.url, { apiKey: TEST_API_KEY });
      sockets.push(socket);
      return socket;
    },
    waitForWebhook: async (id, check) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const res = await api.get(`/webhooks/${id}`);
        expect(res.status).toBe(200);
        if (check(res.body.data)) return res.body.data;
        if (Date.now() > deadline) throw new Error(`webhook ${id} never reached the expected state: ${JSON.stringify(res.body.data)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    deliveries: async (id) => {
      const res = await api.get(`/webhooks/${id}/deliveries?per_page=100`);
      expect(res.status).toBe(200);
      return res.body.data as any[];
    },
    reset: async () => {
      for (const w of (await api.get('/webhooks')).body.data as Array<{ id: number; is_active: boolean }>) {
        if (w.is_active) expect((await api.put(`/webhooks/${w.id}`, { is_active: false })).status).toBe(200);
      }
      slackReceiver.clear();
      discordReceiver.clear();
      slack.answers.length = 0;
      discord.answers.length = 0;
      slack.down = false;
      discord.rateLimited = 0;
    },
    close: async () => {
      for (const s of sockets) s.close();
      await t.stop();
      await slackReceiver.close();
      await discordReceiver.close();
    },
  };
  return rig;
}

/** Starts a conversation, sends `content` as the visitor; answers the conversation id. */
export async function visitorSays(visitor: Socket, content: string): Promise<number> {
  const ack = await ok(visitor, 'message:send', { content, current_url: 'https://shop.example/pricing' });
  return ack.conversation_id as number;
}
