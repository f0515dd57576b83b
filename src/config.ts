import { z } from 'zod';
import cron from 'node-cron';

/** Seconds list such as "120,600,1800": the delay before each retry. */
const secondsList = z
  .string()
  .trim()
  .refine((s) => s === '' || s.split(',').every((p) => /^\d+(\.\d+)?$/.test(p.trim())), {
    message: 'expected comma-separated seconds, e.g. 120,600,1800',
  })
  .transform((s) => (s === '' ? [] : s.split(',').map((p) => Number(p.trim()))));

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Which proxies to believe about the client's address, as express's `trust proxy` takes it:
 * `true` trusts every X-Forwarded-For hop (the client picks its own address unless the proxy
 * strips the header), a number N trusts the N proxies nearest the server, `false` (or 0) none.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number => {
    const v = value.toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no' || v === '0') return false;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    ctx.addIssue({ code: 'custom', message: 'expected true, false or a number of proxy hops (e.g. 1)' });
    return z.NEVER;
  });

const databaseUrl = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value.startsWith('sqlite:')) {
      const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
      if (!path) ctx.addIssue({ code: 'custom', message: 'sqlite: needs a file path or :memory:' });
      return { dialect: 'sqlite' as const, storage: path, url: value };
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL (expected mysql://user:pass@host:port/db or sqlite:path)' });
      return z.NEVER;
    }
    if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
      ctx.addIssue({ code: 'custom', message: `unknown dialect "${url.protocol.replace(/:$/, '')}" (expected mysql or sqlite)` });
      return z.NEVER;
    }
    if (url.pathname.length <= 1) {
      ctx.addIssue({ code: 'custom', message: 'names no database (expected mysql://user:pass@host:port/db)' });
      return z.NEVER;
    }
    return { dialect: 'mysql' as const, storage: '', url: value.replace(/^mariadb:/, 'mysql:') };
  });

const cronExpression = z
  .string()
  .trim()
  .refine((e) => cron.validate(e), { message: 'not a valid node-cron expression' });

const hostList = z
  .string()
  .transform((s) => s.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));

/**
 * Every environment variable the server reads, with its default beside it.
 * Parsed once at start-up; the result is frozen.
 */
export const envSchema = z.object({
  /** HTTP + Socket.IO port. */
  PORT: int(0, 65535).default(3000),
  /** mysql://user:pass@host:port/db or sqlite:path. */
  DATABASE_URL: databaseUrl.prefault('sqlite:./data/livechat.sqlite'),
  /** An API key that works from first start; when unset one is generated, printed once, stored hashed. */
  ADMIN_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** When set, Socket.IO shares rooms across instances through Redis. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Per-attempt timeout of a webhook POST. */
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** Seconds before each retry; the number of entries is the number of retries. */
  WEBHOOK_RETRY_DELAYS: secondsList.default([120, 600, 1800]),
  /** node-cron expression of the retry sweeper (6 fields allowed). */
  WEBHOOK_SWEEP_CRON: cronExpression.default('*/15 * * * * *'),
  /** Accept http:// webhook URLs (local development). */
  WEBHOOK_ALLOW_HTTP: bool.default(false),
  /** Hostnames, IPs or CIDRs exempt from the private-address block. */
  WEBHOOK_ALLOWED_HOSTS: hostList.default([]),
  /** How long a claimed delivery stays leased before another sweeper may take it. */
  WEBHOOK_LEASE_MS: int(1000, 3_600_000).default(60_000),
  /** Attempts in flight at once, in all. */
  WEBHOOK_CONCURRENCY: int(1, 10_000).default(64),
  /** Attempts in flight at once to one webhook. */
  WEBHOOK_CONCURRENCY_PER_WEBHOOK: int(1, 1000).default(8),
  /** Rows one sweep claims per batch. */
  WEBHOOK_SWEEP_BATCH: int(1, 10_000).default(200),
  /**
   * Database operations the delivery engine runs at once (claims, attempt records, health
   * updates): the size of the delivery worker's own pool, or, inline, its share of the chat's 20.
   */
  WEBHOOK_DB_CONCURRENCY: int(1, 100).default(4),
  /**
   * Where deliveries are sent from: `thread`, a worker thread with its own event loop and
   * connections, so HTTP to receivers never delays a chat message (MySQL/MariaDB; SQLite, which
   * has one writer, always runs `inline`); or `inline`, on the chat's event loop.
   */
  WEBHOOK_WORKER: z.enum(['thread', 'inline']).default('thread'),
  /** Consecutive failed deliveries after which a webhook is disabled (0 = never). */
  WEBHOOK_DISABLE_AFTER_FAILURES: int(0, 1_000_000).default(100),
  /** Days of continuous failure after which a webhook is disabled (0 = never). */
  WEBHOOK_DISABLE_AFTER_DAYS: z.coerce.number().min(0).default(5),
  /** Delivery logs older than this many days are pruned (0 = keep forever). */
  DELIVERY_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  /** Key that encrypts webhook secrets at rest (32 bytes as 64 hex or base64). */
  APP_KEY: z.string().min(1).optional(),
  /** Client IP from X-Forwarded-For: `true` the first hop, N the address N proxies back, `false` the socket's peer. */
  TRUST_PROXY: trustProxy.prefault('false'),
  /** The server's public base URL, for links in Slack/Discord messages. */
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Messages one visitor may send per minute. */
  WIDGET_MESSAGES_PER_MINUTE: int(1, 100_000).default(30),
  /** Conversations one IP may start per hour. */
  WIDGET_CONVERSATIONS_PER_HOUR: int(1, 100_000).default(20),
  /** Longest a widget or agent waits for an ack before `internal` (the write itself goes on). */
  CHAT_ACK_TIMEOUT_MS: int(100, 120_000).default(8_000),
  /** Where the SQLite file, the generated app key and other local state live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json`, `pretty`, or `auto`: readable lines on a terminal (unless NODE_ENV=production), JSON lines otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

export type Config = Readonly<z.output<typeof envSchema>>;

/** Thrown for a bad environment; its message is the one line printed before exit. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
}

/**
 * Parses the environment into a frozen Config.
 * Empty strings count as unset, so `PORT= npm start` uses the default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = envSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`Invalid configuration: ${name}: ${issue.message}`);
  }
  return Object.freeze(result.data);
}
