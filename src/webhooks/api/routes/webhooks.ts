import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { eventCatalog, subscribableEvents, type EventName } from '../../../events.js';
import { detectFormat } from '../../events/formats/index.js';
import { validateWebhookUrl } from '../../http/url-rules.js';
import { requireWebhook, type ApiContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { defineRoute, type ApiRoute } from '../route.js';
import {
  attemptResultSchema,
  eventInfoSchema,
  webhookCreateSchema,
  webhookIdParams,
  webhookListItemSchema,
  webhookSchema,
  regenerateSecretSchema,
  webhookUpdateSchema,
  webhookWithSecretSchema,
} from '../schemas.js';
import { webhookListItemView, webhookView } from '../serialize.js';
import { statsWindow } from '../hourly-stats.js';
import { planWebhookCreate, planWebhookUpdate, type ChangeTools } from '../webhook-changes.js';

/** A new signing secret: `whsec_` + 64 lowercase hex (256 bits). */
export function generateSecret(): string {
  return 'whsec_' + randomBytes(32).toString('hex');
}

/**
 * The URL rules of SPEC §8 (scheme, credentials, blocked hosts) on a raw body's `url`, as field
 * errors. A missing or non-string URL is the schema's to report. `unchanged` skips the check
 * (an edit that keeps the URL is not refused because the allow-list changed since).
 */
async function checkUrl(ctx: ApiContext, raw: Record<string, unknown>, unchanged?: string): Promise<Record<string, string[]>> {
  if (typeof raw.url !== 'string' || raw.url.trim() === '') return {};
  const url = raw.url.trim();
  if (url === unchanged) return {};
  const errors = await validateWebhookUrl(url, {
    allowHttp: ctx.config.WEBHOOK_ALLOW_HTTP,
    allowList: ctx.config.WEBHOOK_ALLOWED_HOSTS,
    ...(ctx.resolveHost ? { resolve: ctx.resolveHost } : {}),
  });
  return errors.length > 0 ? { url: errors } : {};
}

function changeTools(ctx: ApiContext): ChangeTools {
  return { detectFormat, encrypt: (secret) => ctx.secretBox.encrypt(secret) };
}

const regeneratedSchema = webhookWithSecretSchema
  .extend({
    old_secret_expires_at: z
      .string()
      .nullable()
      .describe('ISO 8601 UTC time until which the replaced secret still signs beside the new one; null when it stopped at once.'),
  })
  .meta({ id: 'WebhookWithRegeneratedSecret' });

const subscribable = new Set<string>(subscribableEvents);
const catalog = (Object.entries(eventCatalog) as [EventName, (typeof eventCatalog)[EventName]][]).map(([name, event]) => ({
  event: name,
  description: event.description,
  name,
  subscribable: subscribable.has(name),
  data_schema: z.toJSONSchema(event.data) as Record<string, unknown>,
}));

/** Webhook routes. The literal /webhooks/events comes before /webhooks/{id}, which would otherwise take it. */
export function webhookRoutes(ctx: ApiContext): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/webhooks/events',
      operationId: 'listEvents',
      summary: 'The event catalog: every event a webhook can receive, with the JSON Schema of its data.',
      description:
        'Each entry is `{ event, description }` (the seed\'s shape), plus `subscribable` (false for webhook.test, which only the Test action sends) ' +
        "and `data_schema`, the JSON Schema of the envelope's `data`. `name` repeats `event` for older clients.",
      success: { status: 200, description: 'The catalog.', data: z.array(eventInfoSchema) },
      errors: [],
      handle: async () => ({ data: catalog, message: 'Event catalog' }),
    }),

    defineRoute({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'Every webhook, each with the size of its delivery log (not paginated).',
      description:
        'Oldest first. `delivery_logs_count` counts the delivery rows kept for each (tests included); `last_delivery` tells how the ' +
        'newest one other than a test went; `last_24h` counts the attempts of the stats route\'s 24 hours (tests left out).',
      success: { status: 200, description: 'All webhooks, oldest first.', data: z.array(webhookListItemSchema) },
      errors: [],
      handle: async () => {
        const list = await ctx.webhooks.list(statsWindow(new Date(), 24).since);
        return { data: list.map(webhookListItemView), message: `${list.length} webhook${list.length === 1 ? '' : 's'}` };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Create a webhook.',
      description: 'The response shows the secret when one was given: the only time it is returned.',
      body: webhookCreateSchema,
      checkBody: ({ raw }) => checkUrl(ctx, raw),
      success: { status: 201, description: 'Created.', data: z.union([webhookWithSecretSchema, webhookSchema]) },
      errors: [400, 413, 422],
      handle: async ({ body }) => {
        const id = await ctx.webhooks.create(planWebhookCreate(body, changeTools(ctx)));
        const created = await requireWebhook(ctx, String(id));
        ctx.logger.info({ webhookId: id, url: created.url }, 'webhook created');
        return { data: { ...webhookView(created), ...(body.secret ? { secret: body.secret } : {}) }, message: 'Webhook created' };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/webhooks/{id}',
      operationId: 'getWebhook',
      summary: 'One webhook.',
      description:
        'The secret is never shown here, only `has_secret`.',
      params: webhookIdParams,
      success: { status: 200, description: 'The webhook.', data: webhookSchema },
      errors: [404],
      handle: async ({ params }) => ({ data: webhookView(await requireWebhook(ctx, params.id)), message: 'Webhook' }),
    }),

    defineRoute({
      method: 'put',
      path: '/webhooks/{id}',
      operationId: 'updateWebhook',
      summary: 'Partial update: only the fields given change.',
      description: 'Enabling a webhook the server had disabled clears its disable reason and sends its held retries.',
      params: webhookIdParams,
      before: async (params) => void (await requireWebhook(ctx, params.id)),
      body: webhookUpdateSchema,
      checkBody: async ({ params, raw }) => checkUrl(ctx, raw, (await ctx.webhooks.get(Number(params.id)))?.url),
      success: { status: 200, description: 'The updated webhook.', data: webhookSchema },
      errors: [400, 404, 413, 422],
      handle: async ({ params, body }) => {
        const current = await requireWebhook(ctx, params.id);
        const plan = planWebhookUpdate(current, body, changeTools(ctx));
        if (!(await ctx.webhooks.update(current.id, plan.changes))) throw new NotFoundError('Webhook not found');
        if (plan.reEnabled) ctx.engine.wake();
        ctx.logger.info({ webhookId: current.id, fields: Object.keys(plan.changes) }, 'webhook updated');
        return { data: webhookView(await requireWebhook(ctx, params.id)), message: 'Webhook updated' };
      },
    }),

    defineRoute({
      method: 'delete',
      path: '/webhooks/{id}',
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook and its delivery logs.',
      description:
        'Pending retries are dropped with the delivery logs; nothing more is sent to its URL.',
      params: webhookIdParams,
      success: { status: 204, description: 'Deleted.' },
      errors: [404],
      handle: async ({ params }) => {
        if (!(await ctx.webhooks.delete(Number(params.id)))) throw new NotFoundError('Webhook not found');
        ctx.logger.info({ webhookId: Number(params.id) }, 'webhook deleted');
        return null;
      },
    }),

    defineRoute({
      method: 'post',
      path: '/webhooks/{id}/test',
      operationId: 'testWebhook',
      summary: 'Send a webhook.test delivery now and answer with the attempt.',
      description: 'Answers 200 whatever the receiver said: `success`, `status_code`, `error` and `cause` tell how it went. Not retried.',
      params: webhookIdParams,
      success: { status: 200, description: 'The attempt.', data: attemptResultSchema },
      errors: [404],
      handle: async ({ params }) => {
        const result = await ctx.engine.sendTest(Number(params.id));
        if (!result) throw new NotFoundError('Webhook not found');
        const message = result.success
          ? `Test delivered: HTTP ${result.status_code} in ${result.duration_ms} ms`
          : `Test failed: ${result.error ?? (result.status_code !== null ? `HTTP ${result.status_code}` : result.cause)}`;
        return { data: result, message };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/webhooks/{id}/regenerate-secret',
      operationId: 'regenerateWebhookSecret',
      summary: 'Replace the signing secret with a new `whsec_` + 64 hex one, shown once.',
      description:
        'With `old_secret_valid_for_seconds`, the replaced secret keeps signing `webhook-signature` (a second `v1,` entry) until ' +
        '`old_secret_expires_at`, so a receiver can deploy the new secret without losing a delivery. ' +
        'A later regenerate or a secret set through PUT ends the overlap.',
      params: webhookIdParams,
      before: async (params) => void (await requireWebhook(ctx, params.id)),
      body: regenerateSecretSchema,
      success: { status: 200, description: 'The webhook with its new secret.', data: regeneratedSchema },
      errors: [400, 404, 413, 422],
      handle: async ({ params, body }) => {
        const current = await requireWebhook(ctx, params.id);
        const secret = generateSecret();
        const now = new Date();
        const overlap = body.old_secret_valid_for_seconds;
        const oldValidUntil = overlap > 0 && current.has_secret ? new Date(now.getTime() + overlap * 1000) : null;
        if (!(await ctx.webhooks.rotateSecret(current.id, ctx.secretBox.encrypt(secret), oldValidUntil, now))) throw new NotFoundError('Webhook not found');
        ctx.logger.info({ webhookId: current.id, oldSecretValidUntil: oldValidUntil }, 'webhook secret regenerated');
        return {
          data: { ...webhookView(await requireWebhook(ctx, params.id)), secret, old_secret_expires_at: oldValidUntil?.toISOString() ?? null },
          message: oldValidUntil
            ? `Secret regenerated: store it now, it will not be shown again. The old secret also signs until ${oldValidUntil.toISOString()}.`
            : 'Secret regenerated: store it now, it will not be shown again',
        };
      },
    }),
  ];
}
