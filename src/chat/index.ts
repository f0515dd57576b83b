import type { Server } from 'socket.io';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { HookBus } from '../hooks.js';
import type { Logger } from '../logger.js';
import type { ApiKeyStore } from '../auth/api-keys.js';
import { createChatContext } from './actions/context.js';
import { attachAgentNamespace, type AgentHandshake, type AgentNamespace } from './agent-namespace.js';
import { InFlight } from './in-flight.js';
import { WidgetRateLimits } from './rate-limits.js';
import { attachWidgetNamespace, type WidgetNamespace } from './widget-namespace.js';

export type { AgentHandshake } from './agent-namespace.js';
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
   * (`handshake.headers.cookie`). The `auth: { apiKey }` handshake works regardless.
   */
  verifyAgentHandshake?: (handshake: AgentHandshake) => Promise<boolean>;
  /** The clock stamped on rows, hook events and acks. */
  now?: () => Date;
  /** Longest a client waits for an ack before `internal` (default 8 s). */
  ackTimeoutMs?: number;
}

const DEFAULT_ACK_TIMEOUT_MS = 8_000;

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
    }),
  });
  const inFlight = new InFlight();
  const ackTimeoutMs = deps.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const logger = deps.logger.child({ module: 'chat' });
  const widget = deps.io.of('/widget') as unknown as WidgetNamespace;
  const agents = deps.io.of('/agent') as unknown as AgentNamespace;

  attachWidgetNamespace(ctx, widget, agents, { config: deps.config, logger, inFlight, ackTimeoutMs });
  attachAgentNamespace(ctx, agents, widget, {
    apiKeys: deps.apiKeys,
    verifyAgentHandshake: deps.verifyAgentHandshake,
    logger,
    inFlight,
    ackTimeoutMs,
  });

  return {
    close: async () => {
      // Only this instance's sockets: with the Redis adapter a plain disconnectSockets() would
      // reach every instance.
      widget.local.disconnectSockets(true);
      agents.local.disconnectSockets(true);
      await inFlight.drain();
    },
  };
}
