import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { memoryLimiters, type LimiterFactory } from '../redis/limiters.js';
import { ChatError } from './errors.js';

export interface RateLimitSettings {
  messagesPerMinute: number;
  conversationsPerHour: number;
  /** Typing notices per socket per minute: they fan out to every agent, so they are capped too. */
  typingPerMinute?: number;
}

/**
 * The widget's flood limits: per-visitor messages, per-IP new conversations, per-socket typing
 * notices. With REDIS_URL the counts live in Redis, so a visitor alternating between instances
 * gets the limit once, not once per instance; without it, in this process's memory.
 */
export class WidgetRateLimits {
  readonly #messages: RateLimiterAbstract;
  readonly #conversations: RateLimiterAbstract;
  readonly #typing: RateLimiterAbstract;

  constructor(settings: RateLimitSettings, limiters: LimiterFactory = memoryLimiters) {
    this.#messages = limiters({ keyPrefix: 'widget-messages', points: settings.messagesPerMinute, duration: 60 });
    this.#conversations = limiters({ keyPrefix: 'widget-conversations', points: settings.conversationsPerHour, duration: 3600 });
    // A socket lives on one instance, so its typing count never needs sharing.
    this.#typing = memoryLimiters({ keyPrefix: 'widget-typing', points: settings.typingPerMinute ?? 240, duration: 60 });
  }

  /** One message by this visitor (keyed by token hash, so it holds before the visitor row exists). */
  message(visitorKey: string): Promise<void> {
    return take(this.#messages, visitorKey, 'Too many messages');
  }

  /** One new conversation from this IP. */
  conversation(ip: string | null): Promise<void> {
    return take(this.#conversations, ip ?? 'unknown', 'Too many new conversations');
  }

  /** Gives back a conversation point whose conversation was never created (its transaction failed). */
  async refundConversation(ip: string | null): Promise<void> {
    await this.#conversations.reward(ip ?? 'unknown', 1);
  }

  typing(socketId: string): Promise<void> {
    return take(this.#typing, socketId, 'Too many typing notices');
  }
}

async function take(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new ChatError('rate_limited', `${what}; try again in ${seconds} s`);
  }
}
