import type { Sequelize } from 'sequelize';
import type { HookBus } from '../../hooks.js';
import { conversationsRepository } from '../store/conversations.js';
import { messagesRepository } from '../store/messages.js';
import { visitorsRepository } from '../store/visitors.js';
import type { WidgetRateLimits } from '../rate-limits.js';

/** What the chat's use cases need: storage, the hook bus, the clock and the flood limits. */
export interface ChatContext {
  sequelize: Sequelize;
  hooks: HookBus;
  now: () => Date;
  limits: WidgetRateLimits;
  visitors: ReturnType<typeof visitorsRepository>;
  conversations: ReturnType<typeof conversationsRepository>;
  messages: ReturnType<typeof messagesRepository>;
}

export function createChatContext(deps: { sequelize: Sequelize; hooks: HookBus; limits: WidgetRateLimits; now?: () => Date }): ChatContext {
  return {
    sequelize: deps.sequelize,
    hooks: deps.hooks,
    limits: deps.limits,
    now: deps.now ?? (() => new Date()),
    visitors: visitorsRepository(deps.sequelize),
    conversations: conversationsRepository(deps.sequelize),
    messages: messagesRepository(deps.sequelize),
  };
}
