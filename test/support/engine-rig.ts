import { randomBytes } from 'node:crypto';
import got from 'got';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { loadConfig, type Config } from '../../src/config.js';
import { connectDatabase } from '../../src/db/connect.js';
import { migrateUp } from '../../src/db/migrate.js';
import { coreMigrations, webhookMigrations } from '../../migrations/index.js';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { HookBus } from '../../src/hooks.js';
import { createLogger } from '../../src/logger.js';
import type { MessageData } from '../../src/events.js';
import { createAddressGuard } from '../../src/webhooks/http/address-guard.js';
import { DeliveryEngine, type DeliveryEngineOptions, type WebhookEngine } from '../../src/webhooks/delivery/engine.js';
import { buildDeliveryEngine } from '../../src/webhooks/delivery/build.js';
import { SharedClock } from '../../src/webhooks/thread/shared-clock.js';
import { MetricsHub } from '../../src/metrics/registry.js';
import { createDeliveryGot } from '../../src/webhooks/http/sender.js';
import { parseBool, parseDate, sqlDate } from '../../src/webhooks/db/values.js';
import { createTestDatabase, type TestDialect } from './databases.js';

/**
 * A clock the test moves by hand: retries become due when the test says so, not after a sleep.
 * Its time is in shared memory, so an engine in a worker thread reads it too.
 */
export class TestClock extends SharedClock {}

/** Where a harness's engine runs: in the test's thread, or in a worker thread as WEBHOOK_WORKER=thread runs it. */
export type EngineMode = 'inline' | 'thread';
export const engineModes: EngineMode[] = ['inline', 'thread'];
/** Each database with the inline engine, and MariaDB with the worker thread (the only database it runs on). */
export const engineCases: [TestDialect, EngineMode][] = [
  ['mysql', 'inline'],
  ['sqlite', 'inline'],
  ['mysql', 'thread'],
];

export const testEnv: Record<string, string> = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
  WEBHOOK_RETRY_DELAYS: '0.2,0.4,0.6',
  WEBHOOK_TIMEOUT_MS: '2000',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};

export interface EngineRig {
  engine: DeliveryEngine;
  hooks: HookBus;
  sequelize: Sequelize;
  close(): Promise<void>;
}

export interface Harness<Engine extends WebhookEngine = DeliveryEngine> {
  dialect: TestDialect;
  mode: EngineMode;
  url: string;
  sequelize: Sequelize;
  config: Config;
  clock: TestClock;
  secretBox: SecretBox;
  hooks: HookBus;
  engine: Engine;
  /** A second engine (own pool, own got, own hook bus) on the same database, as another process would be. */
  startEngine(env?: Record<string, string>, options?: Partial<DeliveryEngineOptions>): Promise<EngineRig>;
  createWebhook(input: { url: string; events?: string[]; secret?: string; format?: string; isActive?: boolean; name?: string }): Promise<number>;
  setActive(webhookId: number, active: boolean): Promise<void>;
  /** Announces message.received on the hook bus (in `transaction` when given). */
  /** A visitor's message in conversation 7, or in `conversationId` (order per conversation: SPEC §5). */
  emitMessage(content?: string, transaction?: Transaction, conversationId?: number): Promise<void>;
  deliveries(webhookId?: number): Promise<DeliveryRowView[]>;
  attempts(deliveryRowId: number): Promise<AttemptRowView[]>;
  webhook(webhookId: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface DeliveryRowView {
  id: number;
  delivery_id: string;
  webhook_id: number;
  event: string;
  body: string;
  status: string;
  attempt_number: number;
  retry_base: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  last_status_code: number | null;
  last_error: string | null;
  is_test: boolean;
}

export interface AttemptRowView {
  attempt_number: number;
  request_headers: Record<string, string>;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number;
  error: string | null;
  cause: string;
}

export function messageData(content: string, conversationId = 7): MessageData {
  return {
    conversation_id: conversationId,
    visitor_name: 'Ada',
    visitor_email: 'ada@example.com',
    visitor_phone: null,
    visitor_ip: '203.0.113.9',
    current_url: 'https://shop.example/pricing',
    status: 'open',
    created_at: '2024-05-01T10:00:00.000Z',
    message_id: 42,
    content,
    is_from_admin: false,
    admin_name: null,
  };
}

/** The key of every harness SecretBox (a threaded engine under test needs the same one). */
export const appKey = randomBytes(32);

async function buildEngine(
  sequelize: Sequelize,
  config: Config,
  clock: TestClock,
  options: Partial<DeliveryEngineOptions> = {},
): Promise<{ engine: DeliveryEngine; hooks: HookBus; stop(): Promise<void> }> {
  const logger = createLogger(config.LOG_LEVEL);
  const guard = createAddressGuard(config.WEBHOOK_ALLOWED_HOSTS);
  const http = createDeliveryGot(got, guard);
  const hooks = new HookBus(logger);
  const engine = new DeliveryEngine({ sequelize, config, logger, secretBox: new SecretBox(appKey), got: http.got, guard, clock, ...options });
  engine.attach(hooks);
  const stop = async () => {
    await engine.stop();
    http.close();
  };
  return { engine, hooks, stop };
}

/**
 * The engine in a worker thread, started as the plugin starts it, reading the harness's clock.
 * Only the User-Agent of the engine options crosses to the worker.
 */
async function buildThreadedEngine(sequelize: Sequelize, config: Config, clock: TestClock, options: Partial<DeliveryEngineOptions>) {
  const { userAgent, ...others } = options;
  if (Object.keys(others).length > 0) throw new Error(`a threaded harness takes no engine options but userAgent (got ${Object.keys(others).join(', ')})`);
  const logger = createLogger(config.LOG_LEVEL);
  const built = await buildDeliveryEngine({
    sequelize,
    config: { ...config, WEBHOOK_WORKER: 'thread' },
    logger,
    appKey,
    secretBox: new SecretBox(appKey),
    metrics: new MetricsHub({ defaults: false }),
    clock,
    ...(userAgent ? { userAgent } : {}),
  });
  if (built.mode !== 'thread') throw new Error(`the engine did not start in a worker thread on ${config.DATABASE_URL.dialect}`);
  // The worker sweeps once as it starts (for rows a previous run left): over before a test begins,
  // or it could claim rows the test writes straight to the table, as no inline engine would.
  await built.engine.idle();
  const hooks = new HookBus(logger);
  built.engine.attach(hooks);
  return { engine: built.engine, hooks, stop: built.stop };
}

/**
 * A migrated database of its own (MariaDB or SQLite) with a DeliveryEngine on it, a hook bus to
 * emit on, and a hand-moved clock. Nothing is mocked: real database, real HTTP. With mode
 * 'thread' (MariaDB) the engine runs in a worker thread, as WEBHOOK_WORKER=thread runs it.
 */
export function startHarness(dialect: TestDialect, env?: Record<string, string>, options?: Partial<DeliveryEngineOptions>, mode?: 'inline'): Promise<Harness>;
export function startHarness(dialect: TestDialect, env: Record<string, string>, options: Partial<DeliveryEngineOptions>, mode: EngineMode): Promise<Harness<WebhookEngine>>;
export async function startHarness(
  dialect: TestDialect,
  env: Record<string, string> = {},
  options: Partial<DeliveryEngineOptions> = {},
  mode: EngineMode = 'inline',
): Promise<Harness<WebhookEngine>> {
  const db = await createTestDatabase(dialect);
  const config = loadConfig({ DATABASE_URL: db.url, ...testEnv, ...env });
  const sequelize = await connectDatabase(config.DATABASE_URL);
  await migrateUp(sequelize, [...coreMigrations, ...webhookMigrations]);
  const clock = new TestClock();
  const main = mode === 'thread' ? await buildThreadedEngine(sequelize, config, clock, options) : await buildEngine(sequelize, config, clock, options);
  const extra: EngineRig[] = [];

  const h: Harness<WebhookEngine> = {
    dialect,
    mode,
    url: db.url,
    sequelize,
    config,
    clock,
    secretBox: new SecretBox(appKey),
    hooks: main.hooks,
    engine: main.engine,
    startEngine: async (moreEnv = {}, more = {}) => {
      const c = loadConfig({ DATABASE_URL: db.url, ...testEnv, ...env, ...moreEnv });
      const s = await connectDatabase(c.DATABASE_URL);
      const built = await buildEngine(s, c, clock, { ...options, ...more });
      const rig: EngineRig = {
        engine: built.engine,
        hooks: built.hooks,
        sequelize: s,
        close: async () => {
          if (!extra.includes(rig)) return;
          extra.splice(extra.indexOf(rig), 1);
          await built.stop();
          await s.close();
        },
      };
      extra.push(rig);
      return rig;
    },
    createWebhook: async (input) => {
      const at = sqlDate(sequelize, clock.now());
      const [id] = await sequelize.query(
        `INSERT INTO webhooks (name, url, events, secret_encrypted, is_active, format, consecutive_failures, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        {
          type: QueryTypes.INSERT,
          replacements: [
            input.name ?? 'test hook',
            input.url,
            JSON.stringify(input.events ?? ['message.received']),
            input.secret ? h.secretBox.encrypt(input.secret) : null,
            input.isActive ?? true,
            input.format ?? 'json',
            at,
            at,
          ],
        },
      );
      return Number(id);
    },
    setActive: async (webhookId, active) => {
      await sequelize.query('UPDATE webhooks SET is_active = ?, disabled_reason = NULL WHERE id = ?', { replacements: [active, webhookId] });
    },
    emitMessage: (content = 'Hello, is anyone there?', transaction, conversationId) =>
      main.hooks.emit('message.received', messageData(content, conversationId), { occurredAt: clock.now(), ...(transaction ? { transaction } : {}) }),
    deliveries: async (webhookId) => {
      const rows = await sequelize.query<Record<string, unknown>>(
        `SELECT * FROM webhook_deliveries ${webhookId === undefined ? '' : 'WHERE webhook_id = :webhookId'} ORDER BY id`,
        { type: QueryTypes.SELECT, replacements: { webhookId: webhookId ?? null } },
      );
      return rows.map((r) => ({
        id: Number(r.id),
        delivery_id: String(r.delivery_id),
        webhook_id: Number(r.webhook_id),
        event: String(r.event),
        body: String(r.body),
        status: String(r.status),
        attempt_number: Number(r.attempt_number),
        retry_base: Number(r.retry_base),
        next_attempt_at: parseDate(r.next_attempt_at)!,
        lease_owner: (r.lease_owner as string | null) ?? null,
        last_status_code: r.last_status_code == null ? null : Number(r.last_status_code),
        last_error: (r.last_error as string | null) ?? null,
        is_test: parseBool(r.is_test),
      }));
    },
    attempts: async (deliveryRowId) => {
      const rows = await sequelize.query<Record<string, unknown>>(
        'SELECT * FROM webhook_delivery_attempts WHERE delivery_row_id = ? ORDER BY attempt_number',
        { type: QueryTypes.SELECT, replacements: [deliveryRowId] },
      );
      return rows.map((r) => ({
        attempt_number: Number(r.attempt_number),
        request_headers: JSON.parse(String(r.request_headers)) as Record<string, string>,
        response_status: r.response_status == null ? null : Number(r.response_status),
        response_body: (r.response_body as string | null) ?? null,
        duration_ms: Number(r.duration_ms),
        error: (r.error as string | null) ?? null,
        cause: String(r.cause),
      }));
    },
    webhook: async (webhookId) => {
      const [row] = await sequelize.query<Record<string, unknown>>('SELECT * FROM webhooks WHERE id = ?', {
        type: QueryTypes.SELECT,
        replacements: [webhookId],
      });
      return row!;
    },
    close: async () => {
      for (const rig of extra) await rig.close();
      await main.stop();
      await sequelize.close();
      await db.drop();
    },
  };
  return h;
}

/** Moves the clock past the next retry and sweeps until the started attempts are recorded. */
export async function retryNow(h: { clock: TestClock; engine: WebhookEngine }, ms = 60_000): Promise<number> {
  h.clock.advance(ms);
  const started = await h.engine.sweepOnce();
  await h.engine.idle();
  return started;
}
