import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../logger.js';

export type RedisClient = RedisClientType;

/**
 * The instance's connection to the Redis that several instances share (REDIS_URL). Commands
 * (limits, sign-outs) go through a client without an offline queue, so while Redis is away they
 * fail at once and the callers fall back to this process instead of waiting. The outage is
 * logged once when it starts and once when Redis is back, never per request.
 */
export interface RedisLink {
  readonly client: RedisClient;
  /** Prefix of every key and channel: instances of one site share it, other sites on the same Redis don't. */
  readonly namespace: string;
  /** Whether commands reach Redis right now. */
  readonly up: boolean;
  /** Calls `listener` each time Redis comes back after an outage. */
  onRecover(listener: () => void): void;
  /** A publisher and a subscriber for the Socket.IO adapter (see redis-adapter.ts). */
  pubSub(): Promise<[RedisClient, RedisClient]>;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  logger: Logger;
  namespace: string;
  /** How long start-up waits for the first connection before giving up (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Log the outage and the recovery at debug level: a second connection of the same instance (the
   * delivery worker's) must not repeat the warning its main connection already logged.
   */
  quiet?: boolean;
}

/** Reconnect quickly at first, then every 2 s: an outage ends as soon as Redis answers again. */
const reconnectStrategy = (retries: number) => Math.min(100 * (retries + 1), 2000);

/** Connects to REDIS_URL; rejects with a one-line `REDIS_URL: ...` message when Redis cannot be reached. */
export async function connectRedis(url: string, options: RedisLinkOptions): Promise<RedisLink> {
  const logger = options.logger.child({ module: 'redis' });
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy } }) as RedisClient;
  const extra: RedisClient[] = [];
  const recoverListeners: (() => void)[] = [];
  let up = false;
  let everUp = false;
  let lastError = '';

  client.on('error', (err: Error) => {
    lastError = err.message;
    if (!up) return;
    up = false;
    (options.quiet ? logger.debug : logger.warn).call(logger, { err: err.message }, 'Redis unavailable: rate limits and sign-outs fall back to this instance until it returns');
  });
  client.on('ready', () => {
    if (up) return;
    up = true;
    if (!everUp) return void (everUp = true);
    (options.quiet ? logger.debug : logger.info).call(logger, 'Redis is back: rate limits and sign-outs are shared again');
    for (const listener of recoverListeners) listener();
  });

  await withDeadline(client.connect(), options.connectTimeoutMs ?? 10_000, () => {
    client.destroy();
    return new Error(`REDIS_URL: cannot connect to Redis (${lastError || 'no answer'})`);
  });

  return {
    client,
    namespace: options.namespace,
    get up() {
      return up;
    },
    onRecover: (listener) => void recoverListeners.push(listener),
    async pubSub() {
      // These keep the offline queue: a broadcast made during an outage reaches the other
      // instances when Redis is back instead of failing. Their errors are the same outage the
      // command client already reported.
      const pub = client.duplicate({ disableOfflineQueue: false }) as RedisClient;
      const sub = client.duplicate({ disableOfflineQueue: false }) as RedisClient;
      for (const c of [pub, sub]) c.on('error', () => {});
      extra.push(pub, sub);
      await Promise.all([pub.connect(), sub.connect()]);
      return [pub, sub];
    },
    async close() {
      await Promise.allSettled([client, ...extra].map((c) => (c.isOpen ? c.quit() : Promise.resolve(c.destroy()))));
    },
  };
}

/** The key prefix of one site: instances on the same database share limits and sign-outs. */
export function redisNamespace(database: { dialect: string; url: string; storage: string }): string {
  const name = database.dialect === 'sqlite' ? database.storage : new URL(database.url).pathname.slice(1);
  return `livechat:${name}:`;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
