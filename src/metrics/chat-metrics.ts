import { Counter, Gauge, type Registry } from 'prom-client';
import type { HookBus } from '../hooks.js';

/** What the chat metrics count connected sockets in: a Socket.IO namespace's local sockets. */
interface Namespaces {
  of(name: string): { sockets: { size: number } };
}

/**
 * The chat's metrics (SPEC §10): messages by sender, conversations started (both counted from the
 * hook bus, after the commit), and the sockets connected to this instance per namespace.
 */
export function registerChatMetrics(registry: Registry, hooks: HookBus, io: Namespaces): void {
  const messages = new Counter({
    name: 'livechat_messages_total',
    help: 'Messages stored, by sender: visitor or agent.',
    labelNames: ['from'] as const,
    registers: [registry],
  });
  const conversations = new Counter({
    name: 'livechat_conversations_started_total',
    help: 'Conversations visitors started.',
    registers: [registry],
  });
  // Both series exist from the start, so a rate is defined before the first message.
  messages.inc({ from: 'visitor' }, 0);
  messages.inc({ from: 'agent' }, 0);
  hooks.on('message.received', () => messages.inc({ from: 'visitor' }));
  hooks.on('message.sent', () => messages.inc({ from: 'agent' }));
  hooks.on('conversation.started', () => conversations.inc());
  new Gauge({
    name: 'livechat_connected_sockets',
    help: 'Socket.IO connections to this instance, by namespace.',
    labelNames: ['namespace'] as const,
    registers: [registry],
    collect() {
      for (const namespace of ['/widget', '/agent']) this.set({ namespace }, io.of(namespace).sockets.size);
    },
  });
}
