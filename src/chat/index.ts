import type { Server } from 'socket.io';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { HookBus } from '../hooks.js';
import type { Logger } from '../logger.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import { createChatContext } from './actions/context.js';
import { createBroadcast } from './broadcast.js';
import { attachAgentNamespace, type AgentHandshake, type AgentIdentity, type AgentNamespace } from './agent-namespace.js';
import { InFlight } from './in-flight.js';
import { WidgetRateLimits } from './rate-limits.js';
import type { LimiterFactory } from '../redis/limiters.js';
import { attachVisitorNamespace, type VisitorNamespace } from './visitor-namespace.js';

export type { AgentHandshake, AgentIdentity } from './agent-namespace.js';
export type * from './protocol.js';

export interface ChatDeps {
  io: Server;
  sequelize: Sequelize;
  hooks: HookBus;
  logger: Logger;
  config: Config;
  apiKeys: ApiKeyStore;
  /**
   * Lets an agent in without an API key, e.g. with the admin session cookie
   * (`handshake.headers.cookie`), resolving to who signed in. The `auth: { apiKey }` handshake works regardless.
   */
  verifyAgentHandshake?: (handshake: AgentHandshake) => Promise<AgentIdentity | boolean | null>;
  /** Where the widget's rate limits count: in Redis when instances share one, else in memory. */
  limiters?: LimiterFactory;
  /** The clock stamped on rows, hook events and acks. */
  now?: () => Date;
  /** Longest a client waits for an ack before `internal` (default: CHAT_ACK_TIMEOUT_MS, 8 s). */
  ackTimeoutMs?: number;
}

/** How long shutdown waits for connections to flush their last acks. */
const CLOSE_FLUSH_MS = 2000;

/**
 * Attaches the `/widget` (visitors, SPEC §3) and `/agent` (SPEC §4) namespaces. `close()`
 * disconnects this instance's sockets and waits for writes already accepted to finish.
 */

export function attachChat(deps: ChatDeps): { close(): Promise<void> } {
  const ctx = createChatContext({
    sequelize: deps.sequelize,
    hooks: deps.hooks,
    now: deps.now,
    limits: new WidgetRateLimits({
      messagesPerMinute: deps.config.WIDGET_MESSAGES_PER_MINUTE,
      conversationsPerHour: deps.config.WIDGET_CONVERSATIONS_PER_HOUR,
    }, deps.limiters),
  });
  const inFlight = new InFlight();
  const ackTimeoutMs = deps.ackTimeoutMs ?? deps.config.CHAT_ACK_TIMEOUT_MS;
  const logger = deps.logger.child({ module: 'chat' });
  const visitors = deps.io.of('/widget') as unknown as VisitorNamespace;
  const agents = deps.io.of('/agent') as unknown as AgentNamespace;

  const push = createBroadcast(visitors, agents);

  attachVisitorNamespace(ctx, visitors, push, { config: deps.config, logger, inFlight, ackTimeoutMs });
  attachAgentNamespace(ctx, agents, push, {
    apiKeys: deps.apiKeys,
    verifyAgentHandshake: deps.verifyAgentHandshake,
    logger,
    inFlight,
    ackTimeoutMs,
  });

  return {
    close: async () => {
      // Refuse new events, let accepted writes commit and send their acks, and only then hang up:
      // a visitor whose message was stored must hear so, or their widget sends it again.
      await inFlight.drain();
      // Only this instance's sockets: with the Redis adapter a plain disconnectSockets() would
      // reach every instance. Engine.IO closes a connection once its write buffer is flushed;
      // wait for that, or io.close() would discard the last acks still in the buffer.
      const sockets = [...visitors.sockets.values(), ...agents.sockets.values()];
      const closed = sockets.map((socket) => new Promise<void>((resolve) => {
        if (socket.conn.readyState === 'closed') return resolve();
        socket.conn.once('close', () => resolve());
      }));
      visitors.local.disconnectSockets(true);
      agents.local.disconnectSockets(true);
      await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, CLOSE_FLUSH_MS).unref())]);
    },
  };
}
